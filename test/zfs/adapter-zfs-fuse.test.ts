// The adapter against real zfs-fuse (pool v23): capabilities, one-call listing with exact GUIDs (a name with a
// space included), idempotent verbs, and real failures classified.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROP_EPOCH, PROP_ROLE } from '../../src/core/names.js';
import { detectCapabilities } from '../../src/zfs/capabilities.js';
import {
  abortResume,
  cloneSnapshot,
  createDataset,
  inheritProperty,
  mount,
  renameDataset,
  rollback,
  sendEstimate,
  setProperties,
  umount,
} from '../../src/zfs/commands-dataset.js';
import { destroySnapshots, getVersions, hold, holds, release, snapshot } from '../../src/zfs/commands.js';
import { ZfsError } from '../../src/zfs/errors.js';
import { listTree } from '../../src/zfs/list.js';
import { poolList, poolStatus } from '../../src/zfs/pool.js';
import { poolCapabilities } from '../../src/zfs/pool-features.js';
import { LocalRunner } from '../../src/zfs/runner-local.js';
import type { Capabilities } from '../../src/zfs/types.js';
import { zfsCallLog, type ZfsCallLog } from '../helpers/zfs-call-log.js';
import { createPool, snapshotGuids, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason();

describe.skipIf(reason)(`zfs-fuse: adapter verbs and listing ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let caps: Capabilities;
  let log: ZfsCallLog;
  let runner: LocalRunner;
  let root: string;

  beforeAll(async () => {
    pool = await createPool('zfoadz');
    log = zfsCallLog();
    runner = new LocalRunner({ env: log.env });
    caps = await detectCapabilities(runner);
    root = `${pool.name}/data`;
    await zfs('create', root);
    await zfs('create', `${root}/with space`);
    await zfs('create', `${root}/with space/deep`);
    await zfs('set', `${PROP_ROLE}=primary`, root);
    await zfs('set', `${PROP_EPOCH}=3`, root);
    await zfs('set', `${PROP_ROLE}=replica`, `${root}/with space/deep`);
  });
  afterAll(async () => {
    log?.remove();
    await pool?.destroy();
  });

  test('capabilities of local zfs-fuse are detected honestly', () => {
    expect(caps).toMatchObject({
      implementation: 'zfs-fuse',
      listParsable: false,
      bookmarks: false,
      resume: false,
      holds: true,
      holdsList: false,
      multiSnapshot: false,
      destroyList: false,
      written: false,
    });
  });

  test('one zfs call lists the whole tree with exact GUIDs, createtxg order and role sources', async () => {
    await snapshot(runner, caps, [`${root}@a`], { recursive: true });
    await snapshot(runner, caps, [`${root}/with space@b`], { recursive: false });
    log.clear();
    const listing = await listTree(runner, caps, root, { recursive: true });
    expect(log.calls()).toHaveLength(1);
    expect(log.calls()[0]?.argv.slice(0, 3)).toEqual(['zfs', 'get', '-H']);
    expect([...listing.datasets.keys()]).toEqual([root, `${root}/with space`, `${root}/with space/deep`]);
    const sp = listing.datasets.get(`${root}/with space`);
    const exact = await snapshotGuids(`${root}/with space`);
    expect(sp?.versions.map((v) => [v.name, v.guid])).toEqual([...exact.entries()].map(([n, g]) => [n, g]));
    expect(sp?.versions.map((v) => v.name)).toEqual(['a', 'b']);
    expect(sp?.versions[0]?.createtxg).toBeLessThan(sp?.versions[1]?.createtxg ?? 0);
    const top = listing.datasets.get(root);
    expect(top).toMatchObject({
      role: 'primary',
      roleSource: 'local',
      epoch: 3,
      written: null,
      readonly: false,
      mounted: true,
      resumeToken: null,
      encryption: null,
    });
    expect(sp).toMatchObject({ role: 'primary', roleSource: 'inherited' });
    expect(listing.datasets.get(`${root}/with space/deep`)).toMatchObject({ role: 'replica', roleSource: 'local' });
    expect(top?.guid).toMatch(/^\d+$/);
  });

  test('non-recursive listing: the dataset and its snapshots only; a missing root is exists:false', async () => {
    const one = await listTree(runner, caps, `${root}/with space`, { recursive: false });
    expect([...one.datasets.keys()]).toEqual([`${root}/with space`]);
    expect(one.datasets.get(`${root}/with space`)?.versions).toHaveLength(2);
    const none = await listTree(runner, caps, `${pool.name}/nonexistent`, { recursive: true });
    expect(none).toMatchObject({ exists: false, host: 'local' });
  });

  test('getVersions returns exact values of existing snapshots and skips missing ones', async () => {
    const vs = await getVersions(runner, caps, [`${root}@a`, `${root}@missing`, `${root}/with space@b`]);
    expect([...vs.keys()]).toEqual([`${root}@a`, `${root}/with space@b`]);
    expect(vs.get(`${root}@a`)?.guid).toBe((await snapshotGuids(root)).get('a'));
  });

  test('hold and release are idempotent; a held snapshot is refused as "held", then destroyed once released', async () => {
    const snap = `${root}@a`;
    await hold(runner, caps, 'zfailover_j_t', [snap]);
    await hold(runner, caps, 'zfailover_j_t', [snap]);
    await hold(runner, caps, 'zfailover_j_t', [snap, `${root}/with space@a`]);
    expect((await getVersions(runner, caps, [snap])).get(snap)?.userrefs).toBe(1);
    let err: unknown;
    try {
      await destroySnapshots(runner, caps, root, ['a']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZfsError);
    expect((err as ZfsError).reason).toBe('held');
    expect((err as ZfsError).kind).toBe('permanent');
    await release(runner, caps, 'zfailover_j_t', [snap, `${root}/with space@a`]);
    await release(runner, caps, 'zfailover_j_t', [snap]);
    await expect(holds(runner, caps, [snap])).rejects.toMatchObject({ reason: 'unsupported' });
    await destroySnapshots(runner, caps, root, ['a', 'never-existed']);
    await destroySnapshots(runner, caps, root, ['a']);
    expect((await snapshotGuids(root)).has('a')).toBe(false);
  });

  test('snapshot of an existing name fails as already-exists; without multiSnapshot each name is one call', async () => {
    log.clear();
    await snapshot(runner, caps, [`${root}@m1`, `${root}/with space@m1`], { recursive: false });
    expect(log.count('snapshot')).toBe(2);
    await expect(snapshot(runner, caps, [`${root}@m1`], { recursive: false })).rejects.toMatchObject({ reason: 'already-exists', kind: 'permanent' });
  });

  test('real failures are classified: missing dataset, unsupported flags and verbs', async () => {
    await expect(runner.exec(['zfs', 'get', 'guid', `${pool.name}/nope`])).rejects.toMatchObject({ reason: 'dataset-not-found', host: 'local' });
    await expect(runner.exec(['zfs', 'send', '-w', `${root}@m1`])).rejects.toMatchObject({ reason: 'unsupported', kind: 'internal' });
    await expect(abortResume(runner, caps, root)).rejects.toMatchObject({ reason: 'unsupported' });
    expect(
      await sendEstimate(runner, caps, { kind: 'full', to: { kind: 'snapshot', dataset: root, name: 'm1', guid: '1', createtxg: 1, creation: 1 } }),
    ).toBeNull();
  });

  test('properties, rollback, mount/umount idempotency, create/rename/clone', async () => {
    await setProperties(runner, root, { 'zfailover:promoted': '3,m1,1,2', [PROP_EPOCH]: '4' }, caps);
    const l = await listTree(runner, caps, root, { recursive: false });
    expect(l.datasets.get(root)).toMatchObject({ epoch: 4, extra: { 'zfailover:promoted': '3,m1,1,2' } });
    await inheritProperty(runner, root, 'zfailover:promoted');
    expect((await listTree(runner, caps, root, { recursive: false })).datasets.get(root)?.extra['zfailover:promoted']).toBeUndefined();
    await snapshot(runner, caps, [`${root}@m2`], { recursive: false });
    await expect(rollback(runner, `${root}@m1`, { destroyNewer: false })).rejects.toMatchObject({ reason: 'target-has-newer-snapshots' });
    await rollback(runner, `${root}@m1`, { destroyNewer: true });
    expect((await snapshotGuids(root)).has('m2')).toBe(false);
    await umount(runner, `${root}/with space/deep`);
    await umount(runner, `${root}/with space/deep`);
    await mount(runner, `${root}/with space/deep`);
    await mount(runner, `${root}/with space/deep`);
    await createDataset(runner, `${pool.name}/x/y`, { parents: true, properties: { 'zfailover:role': 'replica', canmount: 'noauto' } }); // zfs-fuse calls a freshly mounted fs busy
    await renameDataset(runner, `${pool.name}/x/y`, `${pool.name}/x/z`);
    await cloneSnapshot(runner, `${root}@m1`, `${pool.name}/x/clone`);
    const x = await listTree(runner, caps, `${pool.name}/x`, { recursive: true });
    expect(x.datasets.get(`${pool.name}/x/z`)?.role).toBe('replica');
    expect(x.datasets.get(`${pool.name}/x/clone`)?.origin).toBe(`${root}@m1`);
  });

  test('zpool list and status; legacy pools keep the host capabilities without a call', async () => {
    log.clear();
    expect(await poolCapabilities(runner, caps, pool.name)).toBe(caps);
    expect(log.calls()).toHaveLength(0);
    const pools = await poolList(runner, caps);
    const mine = pools.find((p) => p.name === pool.name);
    expect(mine).toMatchObject({ health: 'ONLINE', exact: false });
    expect(mine?.size).toBeGreaterThan(200 * 1024 * 1024);
    const st = await poolStatus(runner, pool.name);
    expect(st).toMatchObject({ name: pool.name, state: 'ONLINE', errors: 'No known data errors' });
    expect(st.vdevs[0]).toMatchObject({ name: pool.name, depth: 0, read: 0, write: 0, cksum: 0 });
  });
});
