// A private sshd on 127.0.0.1 with throwaway host and client keys, for replication over ssh in tests.
// Host keys are pinned in a private known_hosts file: tests never disable host-key checking.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { execa } from 'execa';
import { TEST_ROOT, uniqueName } from './zfs-fuse.js';
import { freePort } from './ports.js';

export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly user: 'root';
  readonly port: number;
  readonly dir: string;
  /** Client private key authorised for root. */
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** `--ssh-*` arguments for zfailover that reach this sshd with checked host keys. */
  readonly cliArgs: readonly string[];
  /** ssh client `-o` options (without `-o`) that pin this server's key. */
  readonly sshOptions: readonly string[];
  /** `root@127.0.0.1:<port>:<dataset>` side spec. */
  side(dataset: string): string;
  /** Run a shell command over this sshd (for fixtures). */
  run(command: string): Promise<string>;
  stop(): Promise<void>;
  /** Stop accepting connections (simulates a dead primary) until start(); existing sessions are dropped. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export const sshdUnavailableReason = (): string | null => {
  if (process.getuid?.() !== 0) return 'ssh tests need root (sshd for root@127.0.0.1)';
  if (!existsSync('/usr/sbin/sshd')) return 'openssh-server is not installed';
  return null;
};

/**
 * @param sessionPath PATH for ssh sessions (e.g. a zfs logging shim first); `SHLVL=1` skips root's slow ~/.bashrc.
 * @param launcher command that execs its arguments (sshd and its options), e.g. in another mount namespace.
 */
export const startSshd = async (opts: { sessionPath?: string; env?: Record<string, string>; launcher?: readonly string[] } = {}): Promise<TestSshd> => {
  const dir = `${TEST_ROOT}/${uniqueName('sshd-')}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = `${dir}/host_ed25519`;
  const keyFile = `${dir}/client_ed25519`;
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  writeFileSync(`${dir}/authorized_keys`, readFileSync(`${keyFile}.pub`), { mode: 0o600 });
  const sessionPath = opts.sessionPath ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const setEnv = [`SHLVL=1`, `PATH=${sessionPath}`, ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const knownHostsFile = `${dir}/known_hosts`;
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      port = port || (await freePort());
      writeFileSync(
        `${dir}/sshd_config`,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${dir}/authorized_keys`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          `PidFile ${dir}/sshd.pid`,
          'MaxSessions 50',
          'MaxStartups 100:30:200',
          `SetEnv ${setEnv.join(' ')}`,
          '',
        ].join('\n'),
      );
      const argv = [...(opts.launcher ?? []), '/usr/sbin/sshd', '-D', '-f', `${dir}/sshd_config`, '-E', `${dir}/sshd.log`];
      child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (child.exitCode !== null) break;
        if (await canConnect(port)) return;
      }
      child.kill('SIGKILL');
      port = 0; // the port was probably taken between freePort() and sshd's bind: pick another
    }
    throw new Error(`test sshd did not start: ${readFileSync(`${dir}/sshd.log`, 'utf8').slice(-500)}`);
  };
  await launch();
  const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${pub}\n`);
  const sshOptions = [`UserKnownHostsFile=${knownHostsFile}`, 'GlobalKnownHostsFile=/dev/null', 'IdentitiesOnly=yes'];
  const sshArgs = () => ['-i', keyFile, '-p', String(port), ...sshOptions.flatMap((o) => ['-o', o]), '-o', 'BatchMode=yes'];
  const sshd: TestSshd = {
    host: '127.0.0.1',
    user: 'root',
    get port() {
      return port;
    },
    dir,
    keyFile,
    knownHostsFile,
    get cliArgs() {
      return ['--ssh-key', keyFile, ...sshOptions.flatMap((o) => ['--ssh-option', o])];
    },
    sshOptions,
    side: (dataset: string) => `root@127.0.0.1:${port}:${dataset}`,
    run: async (command: string) => (await execa('ssh', [...sshArgs(), 'root@127.0.0.1', command])).stdout,
    async stop() {
      if (child?.pid) await execa('pkill', ['-TERM', '-P', String(child.pid)], { reject: false });
      child?.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    },
    async pause() {
      // Drop established connections first (children of our listener only), then the listener.
      if (child?.pid) await execa('pkill', ['-TERM', '-P', String(child.pid)], { reject: false });
      child?.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
    },
    async resume() {
      await launch();
    },
  };
  return sshd;
};

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  });
