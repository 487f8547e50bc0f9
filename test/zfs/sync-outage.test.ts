// Outages provoked for real (zfs-fuse behind a private sshd on 127.0.0.1), each asserting the exit code and the
// first line Monit/Nagios keep (docs/design.md §2.1): the sshd stopped mid-stream on either side (the meter has
// counted bytes first, found by polling), a closed port, a port that accepts and never answers, a name that does
// not resolve, a control socket path too long for ssh, a wrong key, a changed host key, a host without zfs; and
// a run killed after its receive followed by a run with the target down (the write-ahead record, design §4.3.1).
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliBuilt, runCli, STATUS_LINE, type CliResult } from '../helpers/cli.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames, writeRandom } from '../helpers/replica.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? sshdUnavailableReason() ?? cliBuilt();

/** The meter stage (`dd ... status=progress` before `zfs receive`) among this test's descendants, with its bytes written. */
const meter = (): { pid: number; wrote: number; ageTicks: number } | null => {
  const ppid = (pid: number): number => Number(/\) \S+ (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 0);
  const mine = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 50; p = ppid(p), i++) if (p === process.pid) return true;
    return false;
  };
  const uptimeTicks = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') !== 'dd\0bs=128k\0status=progress\0' || !mine(Number(d))) continue;
      const wrote = Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${d}/io`, 'utf8'))?.[1] ?? 0);
      const start = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] ?? 0);
      return { pid: Number(d), wrote, ageTicks: uptimeTicks - start };
    } catch {
      // the process ended while we looked
    }
  }
  return null;
};

/** Poll (no fixed sleep) until the receiving side has taken `bytes` and the meter has reported at least once. */
const untilReceived = async (bytes: number, running: Promise<CliResult>): Promise<number> => {
  let done: CliResult | null = null;
  void running.then((r) => (done = r));
  for (;;) {
    const m = meter();
    // dd reports its count every second: after 2.5 s of writing, a report has left it.
    if (m && m.wrote >= bytes && m.ageTicks > 250) return m.wrote;
    if (done) throw new Error(`the transfer ended before the receiver had the bytes: ${(done as CliResult).stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const perf = (r: CliResult, key: string): number => Number(new RegExp(`${key}=(\\d+)`).exec(r.line)?.[1] ?? NaN);

describe.skipIf(reason)(`outages over ssh on zfs-fuse: state and first line${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let sshd: TestSshd;
  let stateDir: string;
  const sync = (...args: string[]) => runCli(['--state-dir', stateDir, 'sync', ...sshd.cliArgs, ...args], { timeoutMs: 180_000 });
  const expectReplicaEqual = async (source: string, target: string) => {
    const newest = (await snapshotNames(target)).at(-1)!;
    expect(await snapshotChecksums(`${target}@${newest}`)).toEqual(await snapshotChecksums(`${source}@${newest}`));
    expect((await guidsOf(target))[newest]).toBe((await guidsOf(source))[newest]);
  };
  const host = () => `root@127.0.0.1:${sshd.port}`;

  beforeAll(async () => {
    src = await createPool('zfooutS');
    dst = await createPool('zfooutD');
    sshd = await startSshd();
    stateDir = `${TEST_ROOT}/${uniqueName('state-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await sshd?.stop();
    await src?.destroy();
    await dst?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Start a slow transfer, stop the sshd once the receiver has bytes, then bring it back and converge. */
  const cutMidStream = async (name: string, from: string, to: string, verb: RegExp) => {
    await zfs('create', `${src.name}/${name}`);
    await writeRandom(`${await mountpointOf(`${src.name}/${name}`)}/f`, 6);
    const running = sync('--bwlimit', '512K', from, to);
    const seen = await untilReceived(512 * 1024, running);
    await sshd.pause();
    let r: CliResult;
    try {
      r = await running;
    } finally {
      await sshd.resume();
    }
    expect(r.code, r.stdout).toBe(1);
    expect(r.line).toMatch(STATUS_LINE);
    // The cut stage's own line ("connection lost during zfs send"); a later step of the same cycle that finds the
    // sshd gone says "connection refused": either way the host and "unreachable" lead the line.
    expect(r.line, r.stdout).toMatch(
      new RegExp(`^WARNING: .*${host().replaceAll('.', '\\.')} unreachable: (connection lost during ${verb.source}|connection refused)`),
    );
    if (!/connection lost during/.test(r.line)) console.warn(`outage reported by a later step: ${r.line}`);
    // The bytes are what reached the receiver (the meter's last report), never the silent sender's 0.
    expect(perf(r, 'sent'), r.line).toBeGreaterThan(0);
    expect(perf(r, 'sent'), r.line).toBeLessThanOrEqual(7 * 1024 * 1024);
    const after = await sync(from, to);
    expect(after.code, after.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/${name}`, `${dst.name}/${name}`);
    return { r, seen };
  };

  it('the source host lost mid-transfer (pull): WARNING naming it and the send; bytes the local receive took', { timeout: 240_000 }, async () => {
    const { r, seen } = await cutMidStream('pull', sshd.side(`${src.name}/pull`), `${dst.name}/pull`, /zfs send/);
    // The bytes are the local meter's last report: dd reports once a second, so when the cut pipeline is stopped
    // before dd reads its end, the figure can lag what we watched it take by about a second of the 512 KiB/s
    // limit (300 KiB short was seen at load 18); two report periods bound it from below.
    expect(perf(r, 'sent'), r.line).toBeGreaterThanOrEqual(seen - 2 * 512 * 1024);
  });

  it('the target host lost mid-transfer (push): WARNING naming it and the receive', { timeout: 240_000 }, async () => {
    await cutMidStream('push', `${src.name}/push`, sshd.side(`${dst.name}/push`), /zfs receive/);
  });

  it('both hosts lost mid-transfer (remote to remote): WARNING naming the host', { timeout: 240_000 }, async () => {
    await cutMidStream('r2r', sshd.side(`${src.name}/r2r`), sshd.side(`${dst.name}/r2r`), /zfs (send|receive)/);
  });

  it(
    'check job after a target failed its last run (within thresholds): OK, but "1 of 2 targets replicated", the failing one named',
    { timeout: 240_000 },
    async () => {
      await zfs('create', `${src.name}/twin`);
      const sides = ['--id', 'twin', `${src.name}/twin`, `${dst.name}/twin-local`, sshd.side(`${dst.name}/twin-remote`)];
      expect((await sync(...sides)).code).toBe(0);
      await sshd.pause();
      try {
        writeFileSync(`${await mountpointOf(`${src.name}/twin`)}/f`, 'more\n');
        expect((await sync(...sides)).code).toBe(1);
      } finally {
        await sshd.resume();
      }
      const r = await runCli([...sides, ...sshd.cliArgs, '--state-dir', stateDir, '-w', '1h', '-c', '2h'], { bin: BIN.replace(/zfailover$/, 'check_zfs_job') });
      expect(r.code, r.stdout).toBe(0);
      expect(r.line, r.stdout).toMatch(
        new RegExp(
          `^OK: job twin: 1 of 2 targets replicated, last success \\d+s ago; 1 failing its last run: ${host().replaceAll('.', '\\.')}:${dst.name}/twin-remote: ${host().replaceAll('.', '\\.')} unreachable: connection refused`,
        ),
      );
    },
  );

  it('the run\'s --deadline stops a transfer: WARNING "deadline reached", the next run converges', { timeout: 240_000 }, async () => {
    await zfs('create', `${src.name}/deadline`);
    await writeRandom(`${await mountpointOf(`${src.name}/deadline`)}/f`, 6);
    const r = await sync('--bwlimit', '128K', '--deadline', '8s', `${src.name}/deadline`, `${dst.name}/deadline`);
    expect(r.code, r.stdout).toBe(1);
    expect(r.line, r.stdout).toMatch(/^WARNING: .*deadline reached (after \d+s: transfer stopped|during zfs \w+)/);
    const after = await sync(`${src.name}/deadline`, `${dst.name}/deadline`);
    expect(after.code, after.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/deadline`, `${dst.name}/deadline`);
  });

  it(
    'a run SIGKILLed after its receive, then the target down: the source keeps what the target has; the next cycle is incremental',
    { timeout: 240_000 },
    async () => {
      // The state file still names the older common snapshot (the kill came before its write); the write-ahead
      // record of the snapshot in flight keeps that one on the source while the target cannot be listed.
      const from = `${src.name}/killed one`;
      const to = sshd.side(`${dst.name}/killed one`);
      await zfs('create', from);
      writeFileSync(`${await mountpointOf(from)}/f`, 'one\n');
      expect((await sync(from, to)).code).toBe(0);
      const replicaGuid = await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${dst.name}/killed one`);
      writeFileSync(`${await mountpointOf(from)}/f`, 'two\n');
      const killed = await runCli(['--state-dir', stateDir, 'sync', ...sshd.cliArgs, from, to], { env: { ZFAILOVER_FAULT: 'received' }, timeoutMs: 180_000 });
      expect(killed.code, killed.stdout).not.toBe(0);
      const sent = (await snapshotNames(`${dst.name}/killed one`)).at(-1)!;
      expect(await snapshotNames(from)).toContain(sent);
      await sshd.pause();
      try {
        const down = await sync(from, to);
        expect(down.code, down.stdout).toBe(1);
      } finally {
        await sshd.resume();
      }
      expect(await snapshotNames(from)).toContain(sent); // before the fix: destroyed here, then "diverged"
      const after = await sync(from, to);
      expect(after.code, after.stdout).toBe(0);
      expect(await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${dst.name}/killed one`)).toBe(replicaGuid); // no full resend
      await expectReplicaEqual(from, `${dst.name}/killed one`);
    },
  );

  it('a closed port: WARNING "connection refused" with the host', async () => {
    await zfs('create', `${src.name}/refused`);
    const r = await sync(`${src.name}/refused`, `root@127.0.0.1:1:${dst.name}/refused`);
    expect(r.code, r.stdout).toBe(1);
    expect(r.line).toMatch(/^WARNING: .*root@127\.0\.0\.1:1 unreachable: connection refused /);
  });

  it('a port that accepts and never answers: WARNING "no answer" with the host, after ssh.connect_timeout', async () => {
    const held = new Set<Socket>();
    const silent = createServer((c) => {
      held.add(c);
      c.on('error', () => undefined);
    });
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const port = (silent.address() as AddressInfo).port;
    try {
      await zfs('create', `${src.name}/silent`);
      const config = `${stateDir}/silent.yml`;
      writeFileSync(config, 'version: 1\nssh:\n  connect_timeout: 2s\n', { mode: 0o600 });
      const r = await runCli([
        '--config',
        config,
        '--state-dir',
        stateDir,
        'sync',
        ...sshd.cliArgs,
        `${src.name}/silent`,
        `root@127.0.0.1:${port}:${dst.name}/silent`,
      ]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.line).toMatch(new RegExp(`^WARNING: .*root@127\\.0\\.0\\.1:${port} unreachable: no answer`));
      expect(held.size, 'ssh reached the silent port').toBeGreaterThan(0);
    } finally {
      for (const c of held) c.destroy();
      await new Promise((res) => silent.close(res));
    }
  });

  it('a host name that does not resolve (.invalid, RFC 6761): WARNING "cannot resolve host name"', async () => {
    await zfs('create', `${src.name}/nxdomain`);
    const r = await sync(`${src.name}/nxdomain`, `root@standby.invalid:${dst.name}/nxdomain`);
    expect(r.code, r.stdout).toBe(1);
    expect(r.line).toMatch(/^WARNING: .*root@standby\.invalid(:22)? unreachable: cannot resolve host name/);
  });

  it('a state dir whose ssh control socket path is too long for a Unix socket: CRITICAL "ssh to <host> failed", the reason named', async () => {
    await zfs('create', `${src.name}/longpath`);
    // 108 bytes is the kernel's limit for a socket path; ssh adds a random suffix to the ControlPath while binding.
    const deep = `${TEST_ROOT}/${uniqueName('s-')}/${'d'.repeat(100)}`;
    mkdirSync(deep, { recursive: true, mode: 0o700 });
    try {
      const r = await runCli(['--state-dir', deep, 'sync', ...sshd.cliArgs, `${src.name}/longpath`, sshd.side(`${dst.name}/longpath`)]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.line).toMatch(new RegExp(`^CRITICAL: .*ssh to ${host().replaceAll('.', '\\.')} failed.*too long`));
    } finally {
      rmSync(deep.slice(0, deep.lastIndexOf('/')), { recursive: true, force: true });
    }
  });

  it('a key the host does not accept: CRITICAL "ssh authentication ... failed"', async () => {
    await zfs('create', `${src.name}/auth`);
    const wrongKey = `${sshd.dir}/wrong_ed25519`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const cli = ['--ssh-key', wrongKey, ...sshd.sshOptions.flatMap((o) => ['--ssh-option', o])];
    const r = await runCli(['--state-dir', `${stateDir}/auth`, 'sync', ...cli, `${src.name}/auth`, sshd.side(`${dst.name}/auth`)]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(new RegExp(`^CRITICAL: .*ssh authentication to ${host().replaceAll('.', '\\.')} failed`));
  });

  it('a host key that changed: CRITICAL "host key verification failed for <host>"', async () => {
    await zfs('create', `${src.name}/hostkey`);
    const other = `${sshd.dir}/other_host_ed25519`;
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const knownHosts = `${sshd.dir}/known_hosts_changed`;
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    const cli = [
      '--ssh-key',
      sshd.keyFile,
      '--ssh-option',
      `UserKnownHostsFile=${knownHosts}`,
      '--ssh-option',
      'GlobalKnownHostsFile=/dev/null',
      '--ssh-option',
      'IdentitiesOnly=yes',
    ];
    const r = await runCli(['--state-dir', `${stateDir}/hostkey`, 'sync', ...cli, `${src.name}/hostkey`, sshd.side(`${dst.name}/hostkey`)]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(new RegExp(`^CRITICAL: .*host key verification failed for ${host().replaceAll('.', '\\.')}`));
  });

  it('a host without zfs: CRITICAL naming the host and "zfs: not found"', async () => {
    await zfs('create', `${src.name}/nozfs`);
    // Its own mount namespace: /usr/sbin (and /sbin, a link to it) replaced by a copy without zfs and zpool.
    const sbin = `${TEST_ROOT}/${uniqueName('sbin-')}`;
    mkdirSync(sbin);
    const script = 'mount -t tmpfs tmpfs "$0" && cp -a /usr/sbin/. "$0"/ && rm -f "$0"/zfs "$0"/zpool && mount --bind "$0" /usr/sbin && exec "$@"';
    const bare = await startSshd({ launcher: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, sbin] });
    try {
      const cli = ['--ssh-key', bare.keyFile, ...bare.sshOptions.flatMap((o) => ['--ssh-option', o])];
      const r = await runCli(['--state-dir', `${stateDir}/nozfs`, 'sync', ...cli, `${src.name}/nozfs`, bare.side(`${dst.name}/nozfs`)]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.line).toMatch(new RegExp(`^CRITICAL: .*zfs not found on root@127\\.0\\.0\\.1:${bare.port}`));
      expect(r.stdout).toMatch(/fix: install zfs/);
    } finally {
      await bare.stop();
      rmSync(sbin, { recursive: true, force: true });
    }
  });
});
