// Private sshd instances on 127.0.0.1 for the bench: throwaway host and client keys, host key pinned in our own
// known_hosts, `SetEnv SHLVL=1` (root's ~/.bashrc runs pyenv on every command here: +0.3 s per ssh command).
// Each instance has its own session PATH, so syncoid's compat shim never sits in zfailover's path.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { onCleanup } from './cleanup.mjs';
import { BASE_PATH, childPidsOf, killGroup, must, run, sleep } from './proc.mjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const canConnect = (port) =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** One client identity for every instance: `{keyFile, knownHostsFile}` under dir. */
export const clientIdentity = async (dir) => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = `${dir}/client_ed25519`;
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'zfailover-bench', '-f', keyFile]);
  const knownHostsFile = `${dir}/known_hosts`;
  writeFileSync(knownHostsFile, '');
  return { keyFile, knownHostsFile, sshOptions: [`UserKnownHostsFile=${knownHostsFile}`, 'GlobalKnownHostsFile=/dev/null', 'IdentitiesOnly=yes'] };
};

/**
 * Start sshd `name` with `sessionPath` first on the sessions' PATH. Returns {name, port, pid, dir, sshArgv()}.
 * The host key is appended to the identity's known_hosts, so clients keep StrictHostKeyChecking on.
 */
export const startSshd = async (dir, name, identity, { sessionPath = BASE_PATH } = {}) => {
  const d = `${dir}/sshd-${name}`;
  mkdirSync(d, { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${d}/host_ed25519`]);
  writeFileSync(`${d}/authorized_keys`, readFileSync(`${identity.keyFile}.pub`), { mode: 0o600 });
  let child = null;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    writeFileSync(
      `${d}/sshd_config`,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${d}/host_ed25519`,
        `AuthorizedKeysFile ${d}/authorized_keys`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        `PidFile ${d}/sshd.pid`,
        // syncoid opens ~11 sessions per cycle on one master, zfailover up to 6 at once: stay above both.
        'MaxSessions 50',
        'MaxStartups 100:30:200',
        `SetEnv SHLVL=1 PATH=${sessionPath}`,
        '',
      ].join('\n'),
    );
    const c = spawn('/usr/sbin/sshd', ['-D', '-f', `${d}/sshd_config`, '-E', `${d}/sshd.log`], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if (c.exitCode !== null) break;
      if (await canConnect(port)) {
        child = c;
        break;
      }
    }
    if (!child) killGroup(c.pid, 'SIGKILL'); // the port was taken between freePort() and bind: try another
  }
  if (!child) throw new Error(`sshd ${name} did not start: ${readFileSync(`${d}/sshd.log`, 'utf8').slice(-400)}`);
  const pub = readFileSync(`${d}/host_ed25519.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  appendFileSync(identity.knownHostsFile, `[127.0.0.1]:${port} ${pub}\n`);
  const pid = child.pid;
  onCleanup(`sshd ${name} (pid ${pid})`, async () => {
    // Connection handlers call setsid(), so they are not in the listener's group: stop them by pid as well
    // (this also ends any ssh master left behind by an interrupted run).
    for (const kid of childPidsOf(pid)) {
      try {
        process.kill(kid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    killGroup(pid, 'SIGTERM');
    await sleep(200);
  });
  const sshArgv = (extra = []) => [
    'ssh',
    '-i',
    identity.keyFile,
    '-p',
    String(port),
    ...identity.sshOptions.flatMap((o) => ['-o', o]),
    '-o',
    'BatchMode=yes',
    ...extra,
    'root@127.0.0.1',
  ];
  const s = { name, port, pid, dir: d, sshArgv };
  const probe = await must(sshArgv()[0], [...sshArgv().slice(1), 'echo $PATH']);
  s.remotePath = probe.stdout.trim();
  return s;
};

/** Ask every ssh master whose socket lives in dir to exit (zfailover keeps its masters for control_persist). */
export const exitMasters = async (dir) => {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = `${dir}/${n}`;
    if (statSync(p).isSocket()) await run('ssh', ['-O', 'exit', '-o', `ControlPath=${p}`, 'bench-master'], { cpu: false, timeoutMs: 10_000 });
  }
};

/**
 * A persistent ssh master on `controlPath` (`ssh -M -N -f`, stdio detached so it never holds our pipes), stopped
 * at cleanup. sshArgv: the full client argv up to and including the destination.
 */
export const startMaster = async (label, sshArgv, controlPath, persist = '30m') => {
  const dest = sshArgv.at(-1);
  const opts = sshArgv.slice(1, -1);
  const args = ['-M', '-N', '-f', '-o', 'ControlMaster=yes', '-o', `ControlPersist=${persist}`, '-o', `ControlPath=${controlPath}`, ...opts, dest];
  const code = await new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.on('error', () => resolve(255));
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) return false;
  onCleanup(`ssh master ${label}`, () => run('ssh', ['-O', 'exit', '-o', `ControlPath=${controlPath}`, dest], { cpu: false, timeoutMs: 10_000 }));
  return true;
};
