// The ssh runner against a private sshd (pinned host key, throwaway keys): exact argument transport, one persistent
// master whose stdio is not ours, listing and send|recv over ssh with checksums, and ssh failures classified.
import { existsSync, mkdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HostKeyError, HostUnreachableError } from '../../src/errors.js';
import { recvArgv, sendArgv } from '../../src/zfs/argv.js';
import { detectCapabilities } from '../../src/zfs/capabilities.js';
import { SshAuthError, ZfsError } from '../../src/zfs/errors.js';
import { listTree } from '../../src/zfs/list.js';
import { runPipeline } from '../../src/zfs/pipeline.js';
import { LocalRunner } from '../../src/zfs/runner-local.js';
import { SshRunner } from '../../src/zfs/runner-ssh.js';
import type { Capabilities, SshSettings } from '../../src/zfs/types.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { zfsCallLog, type ZfsCallLog } from '../helpers/zfs-call-log.js';
import { TEST_ROOT, createPool, snapshotGuids, treeChecksums, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';
import { freePort } from '../helpers/ports.js';

const reason = sshdUnavailableReason() ?? zfsFuseUnavailableReason();

describe.skipIf(reason)(`ssh runner through a private sshd ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let sshd: TestSshd;
  let log: ZfsCallLog;
  let pool: TestPool;
  let settings: SshSettings;
  let runner: SshRunner;
  let caps: Capabilities;
  const dirs: string[] = [];
  const controlDir = (): string => {
    const d = `${TEST_ROOT}/${uniqueName('c')}`;
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    log = zfsCallLog();
    sshd = await startSshd(log.sshd);
    pool = await createPool('zfoads');
    settings = { key: sshd.keyFile, port: sshd.port, options: sshd.sshOptions, controlDir: controlDir(), controlPersist: 60, connectTimeout: 5 };
    runner = new SshRunner({ user: 'root', host: '127.0.0.1' }, settings);
    caps = await detectCapabilities(runner);
  });
  afterAll(async () => {
    await runner?.exitMaster();
    await sshd?.stop();
    await pool?.destroy();
    log?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  fcTest.prop(
    [
      fc.array(
        fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0') && Buffer.from(s).toString() === s),
        { minLength: 1, maxLength: 5 },
      ),
    ],
    { numRuns: 25 },
  )('arguments arrive on the remote host exactly (quotes, newlines, $, backticks, unicode)', async (args) => {
    const r = await runner.exec(['printf', '%s\\0', ...args]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
  });

  test('one master per host persists (stdio detached) and is reused by a new runner; close() keeps it', async () => {
    const pid = await runner.masterPid();
    expect(pid).not.toBeNull();
    for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe('/dev/null');
    await runner.close();
    const again = new SshRunner({ user: 'root', host: '127.0.0.1' }, settings);
    expect((await again.exec(['true'])).exitCode).toBe(0);
    expect(await again.masterPid()).toBe(pid);
    expect(caps.implementation).toBe('zfs-fuse');
  });

  test('parallel execs are queued below sshd MaxSessions: all multiplexed on the one master', async () => {
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.exec(['sh', '-c', `sleep 0.2; echo ${i}`])));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // 20 sessions of 0.2 s, 6 at a time: at least 4 rounds.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(results.every((r) => !/session request failed/.test(r.stderr))).toBe(true);
  });

  test('listing over ssh: one remote zfs call, exact GUIDs, a name with a space', async () => {
    await zfs('create', '-p', `${pool.name}/r/with space`);
    await zfs('snapshot', '-r', `${pool.name}/r@s1`);
    log.clear();
    const listing = await listTree(runner, caps, `${pool.name}/r`, { recursive: true });
    expect(log.calls()).toHaveLength(1);
    expect(listing.host).toBe(`root@127.0.0.1:${sshd.port}`);
    expect(listing.datasets.get(`${pool.name}/r/with space`)?.versions[0]?.guid).toBe((await snapshotGuids(`${pool.name}/r/with space`)).get('s1'));
  });

  test('push and pull: zfs send | ssh zfs recv and ssh zfs send | zfs recv give identical replicas', async () => {
    const src = `${pool.name}/src`;
    await zfs('create', src);
    const mnt = `/tmp/zfo-test/mnt/${pool.name}`;
    await runPipeline([{ file: 'dd', args: ['if=/dev/urandom', `of=${mnt}/src/f.bin`, 'bs=1M', 'count=4', 'status=none'], label: 'dd' }]);
    await zfs('snapshot', src + '@s1');
    const v = { kind: 'snapshot' as const, dataset: src, name: 's1', guid: '1', createtxg: 1, creation: 1 };
    const send = sendArgv(caps, { kind: 'full', to: v }, { raw: 'auto', compressed: true, largeBlocks: true, embedded: true, encrypted: false });
    const local = new LocalRunner();
    const push = await runPipeline([
      ...local.processes([send]),
      ...runner.processes([recvArgv(caps, `${pool.name}/pushed`, { resume: true, force: false, full: true })]),
    ]);
    expect(push.error).toBeNull();
    expect(push.bytes).toBeGreaterThan(3 * 1024 * 1024);
    const pull = await runPipeline([
      ...runner.processes([send]),
      ...local.processes([recvArgv(caps, `${pool.name}/pulled`, { resume: true, force: false, full: true })]),
    ]);
    expect(pull.error).toBeNull();
    const want = await treeChecksums(`${mnt}/src`);
    expect(await treeChecksums(`${mnt}/pushed`)).toEqual(want);
    expect(await treeChecksums(`${mnt}/pulled`)).toEqual(want);
    expect(await snapshotGuids(`${pool.name}/pushed`)).toEqual(await snapshotGuids(src));

    // Again into the existing target: the remote receiver's refusal is the root cause.
    const again = await runPipeline([
      ...local.processes([send]),
      ...runner.processes([recvArgv(caps, `${pool.name}/pushed`, { resume: true, force: false, full: true })]),
    ]);
    const seen = JSON.stringify(again.stages.map((st) => ({ exit: st.exitCode, signal: st.signal, killed: st.killedByUs, stderr: st.stderr.slice(0, 200) })));
    expect(again.failedStage, seen).toBe(1);
    expect(again.error, seen).toMatchObject({ reason: 'target-exists', host: `root@127.0.0.1:${sshd.port}` });
  });

  test('a failing non-final remote stage fails the ssh stage even though the remote pipeline exits 0', async () => {
    const r = await runPipeline([...runner.processes([['zfs', 'send', `${pool.name}/src@nonexistent`], ['cat']]), { file: 'cat', args: [], label: 'cat' }]);
    expect(r.ok).toBe(false);
    expect(r.failedStage).toBe(0);
    expect((r.error as ZfsError).reason).toBe('snapshot-not-found');
  });

  test('a remote zfs failure through exec is a classified ZfsError naming the host', async () => {
    await expect(runner.exec(['zfs', 'list', `${pool.name}/nope`])).rejects.toMatchObject({ reason: 'dataset-not-found', host: `root@127.0.0.1:${sshd.port}` });
  });

  test('unreachable host -> HostUnreachableError (transient)', async () => {
    const port = await freePort();
    const r = new SshRunner({ user: 'root', host: '127.0.0.1', port }, { ...settings, controlDir: controlDir(), connectTimeout: 3 });
    const err = await r.exec(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect((err as HostUnreachableError).kind).toBe('transient');
  });

  test('a changed host key -> HostKeyError (permanent, never bypassed)', async () => {
    const dir = controlDir();
    mkdirSync(dir, { recursive: true });
    const kh = `${dir}/known_hosts`;
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    const r = new SshRunner(
      { user: 'root', host: '127.0.0.1' },
      { ...settings, controlDir: dir, options: [`UserKnownHostsFile=${kh}`, 'GlobalKnownHostsFile=/dev/null', 'IdentitiesOnly=yes'] },
    );
    const err = await r.exec(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).kind).toBe('permanent');
  });

  test('a refused key -> SshAuthError (permanent, with a hint)', async () => {
    const dir = controlDir();
    mkdirSync(dir, { recursive: true });
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${dir}/other`]);
    const r = new SshRunner({ user: 'root', host: '127.0.0.1' }, { ...settings, controlDir: dir, key: `${dir}/other` });
    const err = await r.exec(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshAuthError);
    expect((err as SshAuthError).hint).toMatch(/authorized_keys/);
    expect(existsSync(`${dir}/other`)).toBe(true);
  });
});
