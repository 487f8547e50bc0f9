// The adapter against OpenZFS 2.3 in the qemu guest, over ssh: capabilities, listing (written, bookmarks, exact
// GUIDs), batched/idempotent verbs, holds, bookmarks, a real partial receive decoded and aborted.
// Works only under its own prefix in the guest's `src`/`dst` pools; skipped with the reason when unreachable.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recvArgv, sendArgv } from '../../src/zfs/argv.js';
import { detectCapabilities } from '../../src/zfs/capabilities.js';
import { abortResume, resumeTokenInfo, sendEstimate } from '../../src/zfs/commands-dataset.js';
import { createBookmark, destroyBookmark, destroySnapshots, getVersions, hold, holds, release, snapshot } from '../../src/zfs/commands.js';
import { listTree } from '../../src/zfs/list.js';
import { runPipeline } from '../../src/zfs/pipeline.js';
import { poolStatus } from '../../src/zfs/pool.js';
import { poolCapabilities } from '../../src/zfs/pool-features.js';
import { SshRunner } from '../../src/zfs/runner-ssh.js';
import type { Capabilities } from '../../src/zfs/types.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const GUEST_KEY = '/var/cache/zfslab/ssh/id_ed25519';
const GUEST_PORT = Number(process.env.ZFO_OPENZFS_PORT ?? 2222);

/** Why the OpenZFS guest cannot be used, or null. Minimal on purpose: test/openzfs/ owns the real harness. */
const openzfsGuestReason = (): string | null => {
  if (process.getuid?.() !== 0) return 'needs root (guest key)';
  const r = spawnSync(
    'ssh',
    [
      '-p',
      String(GUEST_PORT),
      '-i',
      GUEST_KEY,
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'LogLevel=ERROR',
      'root@127.0.0.1',
      'zpool list -H -o name src dst',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0)
    return `OpenZFS guest not reachable on 127.0.0.1:${GUEST_PORT} or without pools src/dst: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  return null;
};

const reason = openzfsGuestReason();

describe.skipIf(reason)(`openzfs guest: adapter over ssh ${reason ? `(skipped: ${reason})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('oz')}`;
  const prefix = uniqueName('zfoad');
  const src = `src/${prefix}`;
  const dst = `dst/${prefix}`;
  let runner: SshRunner;
  let caps: Capabilities;
  const sh = async (cmd: string[]): Promise<string> => (await runner.exec(cmd)).stdout;

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Pin the guest's key for this test (loopback, our own VM); the runner itself never disables checking.
    const scan = spawnSync('ssh-keyscan', ['-p', String(GUEST_PORT), '-t', 'ed25519', '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 });
    writeFileSync(`${dir}/known_hosts`, scan.stdout);
    runner = new SshRunner(
      { user: 'root', host: '127.0.0.1', port: GUEST_PORT },
      {
        key: GUEST_KEY,
        options: [`UserKnownHostsFile=${dir}/known_hosts`, 'GlobalKnownHostsFile=/dev/null'],
        controlDir: dir,
        controlPersist: 60,
        connectTimeout: 15,
      },
    );
    caps = await detectCapabilities(runner);
    await sh(['zfs', 'create', '-o', 'zfailover:role=primary', src]);
    await sh(['zfs', 'create', `${src}/with space`]);
    await sh(['dd', 'if=/dev/urandom', `of=/${src}/f`, 'bs=64k', 'count=16', 'status=none']);
  });
  afterAll(async () => {
    if (runner) {
      await runner.exec(['zfs', 'destroy', '-r', src], { allowFailure: true });
      await runner.exec(['zfs', 'destroy', '-r', dst], { allowFailure: true });
      await runner.exec(['zfs', 'destroy', '-r', `${dst}-enc`], { allowFailure: true });
      await runner.exec(['rm', '-f', `/tmp/${prefix}.key`], { allowFailure: true });
      await runner.exitMaster();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('capabilities: OpenZFS 2.x with every feature', () => {
    expect(caps.implementation).toBe('openzfs');
    expect(caps.version).toMatch(/^2\.\d+\.\d+$/);
    expect(Object.entries(caps).filter(([, v]) => v === false)).toEqual([]);
  });

  test('several snapshots in one atomic call; listing with exact GUIDs, written, bookmarks, role source', async () => {
    await snapshot(runner, caps, [`${src}@s1`, `${src}/with space@s1`], { recursive: false });
    await createBookmark(runner, caps, `${src}@s1`, `${src}#b1`);
    await createBookmark(runner, caps, `${src}@s1`, `${src}#b1`);
    await sh(['dd', 'if=/dev/urandom', `of=/${src}/g`, 'bs=64k', 'count=4', 'status=none', 'conv=fsync']);
    const listing = await listTree(runner, caps, src, { recursive: true });
    const top = listing.datasets.get(src);
    const guid = (await sh(['zfs', 'get', '-H', '-p', '-o', 'value', 'guid', `${src}@s1`])).trim();
    expect(top?.versions.map((v) => [v.kind, v.name, v.guid])).toEqual([
      ['bookmark', 'b1', guid],
      ['snapshot', 's1', guid],
    ]);
    expect(top).toMatchObject({ role: 'primary', roleSource: 'local', encryption: 'off', resumeToken: null });
    expect(top?.written).toBeGreaterThan(0);
    expect(listing.datasets.get(`${src}/with space`)).toMatchObject({ role: 'primary', roleSource: 'inherited' });
    expect(listing.datasets.get(`${src}/with space`)?.versions[0]?.createtxg).toBe(top?.versions[1]?.createtxg);
  });

  test('holds are listed by tag, idempotent, and a held snapshot is refused as held', async () => {
    await hold(runner, caps, 'zfailover_j_t', [`${src}@s1`]);
    await hold(runner, caps, 'zfailover_j_t', [`${src}@s1`, `${src}/with space@s1`]);
    expect((await holds(runner, caps, [`${src}@s1`])).get(`${src}@s1`)).toEqual(['zfailover_j_t']);
    await expect(destroySnapshots(runner, caps, src, ['s1'])).rejects.toMatchObject({ reason: 'held' });
    await release(runner, caps, 'zfailover_j_t', [`${src}@s1`, `${src}/with space@s1`]);
    await release(runner, caps, 'zfailover_j_t', [`${src}@s1`]);
    expect((await getVersions(runner, caps, [`${src}@s1`])).get(`${src}@s1`)?.userrefs).toBe(0);
  });

  test('batched destroy ignores missing names; bookmarks survive and destroyBookmark is idempotent', async () => {
    await snapshot(runner, caps, [`${src}@d1`, `${src}@d2`], { recursive: false });
    await destroySnapshots(runner, caps, src, ['d1', 'd2', 'never']);
    await destroySnapshots(runner, caps, src, ['d1']);
    const names = (await listTree(runner, caps, src, { recursive: false })).datasets.get(src)?.versions.map((v) => v.name);
    expect(names).toEqual(['b1', 's1']);
    await createBookmark(runner, caps, `${src}@s1`, `${src}#b2`);
    await destroyBookmark(runner, caps, `${src}#b2`);
    await destroyBookmark(runner, caps, `${src}#b2`);
  });

  test('a partial receive is listed with its token, decoded, and aborted (twice)', async () => {
    await snapshot(runner, caps, [`${src}@s2`], { recursive: false });
    const s2 = { kind: 'snapshot' as const, dataset: src, name: 's2', guid: '1', createtxg: 1, creation: 1 };
    const estimate = await sendEstimate(runner, caps, { kind: 'full', to: s2 });
    expect(estimate).toBeGreaterThan(1_000_000);
    const send = sendArgv(caps, { kind: 'full', to: s2 }, { raw: 'auto', compressed: false, largeBlocks: true, embedded: true, encrypted: false });
    // Two ssh stages joined locally: the stream leaves the guest, is cut after 300 kB, and comes back.
    const r = await runPipeline([
      ...runner.processes([send, ['head', '-c', '300000']]),
      ...runner.processes([recvArgv(caps, dst, { resume: true, force: false, full: true })]),
    ]);
    expect(r.ok).toBe(false);
    const listing = await listTree(runner, caps, dst, { recursive: false });
    const token = listing.datasets.get(dst)?.resumeToken;
    expect(token).toMatch(/^1-/);
    const info = await resumeTokenInfo(runner, token as string);
    expect(info).toMatchObject({ toName: `${src}@s2`, fromGuid: null });
    expect(info.toGuid).toBe((await sh(['zfs', 'get', '-H', '-p', '-o', 'value', 'guid', `${src}@s2`])).trim());
    expect(info.bytes).toBeGreaterThan(0);
    await abortResume(runner, caps, dst);
    await abortResume(runner, caps, dst);
    expect((await listTree(runner, caps, dst, { recursive: false })).exists).toBe(false);
  });

  test('an encrypted dataset goes raw (never decrypted): the replica holds ciphertext without the key', async () => {
    await runner.exec(['sh', '-c', `umask 077; echo zfailover-test-passphrase > /tmp/${prefix}.key`]);
    await sh(['zfs', 'create', '-o', 'encryption=on', '-o', 'keyformat=passphrase', '-o', `keylocation=file:///tmp/${prefix}.key`, `${src}/enc`]);
    await snapshot(runner, caps, [`${src}/enc@e1`], { recursive: false });
    const source = (await listTree(runner, caps, `${src}/enc`, { recursive: false })).datasets.get(`${src}/enc`);
    expect(source).toMatchObject({ encryptionRoot: `${src}/enc`, keyStatus: 'available' });
    expect(source?.encryption).toMatch(/^aes-/);
    const to = source?.versions[0];
    if (!to) throw new Error('no snapshot listed');
    const send = sendArgv(
      caps,
      { kind: 'full', to },
      { raw: 'auto', compressed: true, largeBlocks: true, embedded: true, encrypted: source?.encryption !== 'off', receiver: caps },
    );
    expect(send).toContain('-w');
    expect(sendArgv(caps, { kind: 'full', to }, { raw: 'never', compressed: false, largeBlocks: false, embedded: false, encrypted: true })).not.toContain('-w');
    const r = await runPipeline([...runner.processes([send]), ...runner.processes([recvArgv(caps, `${dst}-enc`, { resume: true, force: false, full: true })])]);
    expect(r.error).toBeNull();
    const replica = (await listTree(runner, caps, `${dst}-enc`, { recursive: false })).datasets.get(`${dst}-enc`);
    expect(replica).toMatchObject({ encryption: source?.encryption, keyStatus: 'unavailable', encryptionRoot: `${dst}-enc`, readonly: true });
    expect(replica?.versions.map((v) => v.guid)).toEqual([to.guid]);
  });

  test('pool status parses on OpenZFS; the guest pools keep every capability', async () => {
    expect(await poolStatus(runner, 'src')).toMatchObject({ name: 'src', state: 'ONLINE' });
    expect(await poolCapabilities(runner, caps, 'dst')).toEqual(caps);
  });
});
