// sshd-StrictModes-style checks: a config file or state directory (or a subdirectory, a control socket, a log
// path) another user could write is refused with one UNKNOWN line, and what the attacker planted has no effect:
// a lock naming a victim process (the victim lives), a ControlMaster socket (nobody connects to it), a symlinked
// log (the target is unchanged). The attacker is the unprivileged `nobody` (setpriv), not a root-made fixture.
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { bootId, procStartOf } from '../../src/state/proc.js';
import { controlPath } from '../../src/zfs/runner-ssh.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const NOBODY = 65534;
const skip = process.getuid?.() !== 0 ? 'needs root (files owned by another uid)' : !existsSync('/usr/bin/setpriv') ? 'setpriv missing' : cliBuilt();

/** Run a shell command as the unprivileged attacker. */
const asNobody = (cmd: string) => execa('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'sh', '-c', cmd]);

describe.skipIf(skip !== null)(`StrictModes checks ${skip ? `(skipped: ${skip})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('strict-')}`;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (name: string, stateDir: string, mode = 0o600): string => {
    const f = `${dir}/${name}`;
    writeFileSync(
      f,
      ['version: 1', `state_dir: ${stateDir}`, 'jobs:', '  j:', '    source: zfo-strict-nopool/a', '    targets: [zfo-strict-nopool/b]', ''].join('\n'),
      { mode },
    );
    chmodSync(f, mode);
    return f;
  };

  it('a config writable by others, or owned by another user, is refused; the printed fix makes it usable', async () => {
    const ok = `${dir}/state-ok`;
    const shared = config('shared.yml', ok, 0o666);
    const r = await runCli(['--config', shared, 'check', 'job', '--job', 'j', '--no-zfs']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.line).toBe(`UNKNOWN: refusing ${shared}: config file not trusted: writable by group or others (mode 0666)`);
    const fix = /^fix: (.*)$/m.exec(r.stdout)?.[1];
    expect(fix).toBeDefined();
    await execa('sh', ['-c', fix as string]);
    const after = await runCli(['--config', shared, 'check', 'job', '--job', 'j', '--no-zfs']);
    expect(after.line).not.toMatch(/refusing/);

    const theirs = config('theirs.yml', ok, 0o644);
    chownSync(theirs, NOBODY, NOBODY);
    const t = await runCli(['--config', theirs, 'sync', '--job', 'j']);
    expect(t.code).toBe(3);
    expect(t.line).toBe(`UNKNOWN: refusing ${theirs}: config file not trusted: owned by uid ${NOBODY}, not by uid 0 or root`);
  });

  it('a state dir made by another user, with a lock naming a victim: refused, the victim lives', async () => {
    // A state_dir under /tmp that the attacker created first (sticky /tmp lets anyone make a directory there).
    const evil = `/tmp/${uniqueName('zfo-evil-state-')}`;
    await asNobody(`mkdir -m 0755 ${evil} ${evil}/locks`);
    const victim = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const vStart = await procStartOf(victim.pid as number);
      const lock = {
        version: 1,
        job: 'j',
        pid: 2 ** 22 - 3,
        procStart: 1,
        bootId: await bootId(),
        startedAt: 0,
        host: 'x',
        pids: [{ pid: victim.pid, procStart: vStart }],
        token: 't',
      };
      await asNobody(`cat > ${evil}/locks/j.lock <<'EOF'\n${JSON.stringify(lock)}\nEOF`);
      const cfg = config('evil.yml', evil);
      for (const args of [
        ['--config', cfg, 'sync', '--job', 'j'],
        ['--config', cfg, 'check', 'job', '--job', 'j'],
        ['--config', config('ok.yml', `${dir}/ok2`), '--state-dir', evil, 'sync', '--job', 'j'],
      ]) {
        const r = await runCli(args);
        expect(r.code, r.stdout).toBe(3);
        expect(r.line).toBe(`UNKNOWN: refusing ${evil}: state directory not trusted: owned by uid ${NOBODY}, not by uid 0 or root`);
      }
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();
      expect(existsSync(`/proc/${victim.pid}`)).toBe(true);
    } finally {
      victim.kill('SIGKILL');
      rmSync(evil, { recursive: true, force: true });
    }
  });

  it('a group-writable state dir, a subdirectory another user owns, a symlinked subdirectory: refused', async () => {
    const g = `${dir}/g-state`;
    mkdirSync(g, { mode: 0o775 });
    chmodSync(g, 0o775);
    const r1 = await runCli(['--config', config('g.yml', g), 'check', 'rpo', '--job', 'j']);
    expect(r1.line).toBe(`UNKNOWN: refusing ${g}: state directory not trusted: writable by group or others (mode 0775)`);

    const s = `${dir}/sub-state`;
    mkdirSync(`${s}/ssh`, { recursive: true, mode: 0o700 });
    chmodSync(s, 0o700);
    chownSync(`${s}/ssh`, NOBODY, NOBODY);
    const r2 = await runCli(['--config', config('s.yml', s), 'check', 'rpo', '--job', 'j']);
    expect(r2.line).toBe(`UNKNOWN: refusing ${s}/ssh: state directory not trusted: owned by uid ${NOBODY}, not by uid 0 or root`);

    const l = `${dir}/link-state`;
    mkdirSync(l, { mode: 0o700 });
    await asNobody(`mkdir -m 0777 /tmp/${uniqueName('zfo-elsewhere-')}`).catch(() => undefined);
    symlinkSync('/tmp', `${l}/cache`);
    const r3 = await runCli(['--config', config('l.yml', l), 'check', 'rpo', '--job', 'j']);
    expect(r3.code).toBe(3);
    expect(r3.line).toBe(`UNKNOWN: refusing ${l}/cache: state directory not trusted: a symbolic link, not a directory`);
    expect(r3.stdout).toContain(`fix: rm ${l}/cache`);

    // Below a world-writable directory without the sticky bit, anyone could swap the state dir: refused.
    const open = `${dir}/open`;
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const r4 = await runCli(['--config', config('o.yml', `${open}/state`), 'check', 'rpo', '--job', 'j']);
    expect(r4.line).toBe(`UNKNOWN: refusing ${open}: state directory not trusted: writable by group or others (mode 0777)`);
    // /tmp itself (sticky) is fine, and a fresh state dir is created 0700.
    const fresh = `/tmp/${uniqueName('zfo-fresh-')}`;
    try {
      const r5 = await runCli(['--config', config('f.yml', fresh), 'sync', '--job', 'j']);
      expect(r5.line).not.toMatch(/refusing/);
      expect(statSync(fresh).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a ControlMaster socket another user planted at the predictable path is refused; nobody connects to it', async () => {
    const s = `${dir}/sock-state`;
    mkdirSync(`${s}/ssh`, { recursive: true, mode: 0o700 });
    chmodSync(s, 0o700);
    const side = 'root@127.0.0.1';
    const socket = controlPath({ controlDir: `${s}/ssh`, options: [] }, side, 1);
    let connections = 0;
    const server: Server = createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      lchownSync(socket, NOBODY, NOBODY);
      const r = await runCli(['--config', config('sock.yml', s), 'check', 'health', '-H', `${side}:1`]);
      expect(r.code, r.stdout).toBe(3);
      expect(r.stdout).toContain(`refusing ${socket}: ssh control socket not trusted: owned by uid ${NOBODY}, not by uid 0`);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('a symlink at the log path does not make root write through it', async () => {
    const victim = `${dir}/victim`;
    writeFileSync(victim, 'precious\n');
    const log = `${dir}/zfo.log`;
    symlinkSync(victim, log);
    const r = await runCli(['--config', config('log.yml', `${dir}/log-state`), '--log-file', log, 'sync', '--job', 'j']);
    expect(r.code).toBe(3);
    expect(r.line).toBe(`UNKNOWN: cannot open log file ${log}: is a symbolic link`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });
});
