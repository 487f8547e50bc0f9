// decideDemote on hand-made trees: which side may be demoted, the exact operations that keep diverged writes
// (snapshot, rename aside, clone + promote at the common snapshot, marks), the cases with nothing to keep, and
// finishing an interrupted run from what ZFS shows.
import { describe, expect, it } from 'vitest';
import { decideDemote, type DemoteInput } from '../../../src/core/failover/demote.js';
import { describeOp } from '../../../src/core/failover/ops.js';
import { ds, NOW, primaryDs, replicaDs, tree } from './fixtures.js';

const ASIDE = 'a/data.zfailover-diverged-e1-20231114T221410Z';
const newPrimary = tree('b/data', { '': primaryDs('b/data', ['@s1:40=101', '@n1:45=301'], { epoch: 1 }) });
const oldPrimary = tree('a/data', { '': primaryDs('a/data', ['@s1:10=101', '@o1:12=401'], { epoch: 0, written: 4096 }) });

const input = (p: Partial<DemoteInput>): DemoteInput => ({
  now: NOW,
  source: newPrimary,
  target: oldPrimary,
  aside: null,
  asideName: ASIDE,
  ...p,
});
const commands = (d: ReturnType<typeof decideDemote>): string[] => (d.kind === 'refuse' ? [] : d.groups.flatMap((g) => g.ops.map(describeOp)));

describe('decideDemote', () => {
  it("keeps the old primary's writes aside and re-creates it at the common snapshot without copying", () => {
    const d = decideDemote(input({}));
    expect(d).toMatchObject({ kind: 'demote', epoch: 1, aside: ASIDE, hooks: true });
    expect(commands(d)).toEqual([
      'zfs set readonly=on a/data',
      'zfs snapshot -r a/data@zfailover-diverged_1_20231114T221430Z',
      'zfs unmount a/data',
      `zfs rename a/data ${ASIDE}`,
      `zfs clone -o canmount=noauto -o readonly=on -o zfailover:role=replica -o zfailover:epoch=1 ${ASIDE}@s1 a/data`,
      'zfs unmount a/data',
      'zfs promote a/data',
      `zfs set zfailover:diverged=1,s1,101,${NOW / 1000} ${ASIDE}`,
      `zfs inherit zfailover:role ${ASIDE}`,
      `zfs inherit zfailover:epoch ${ASIDE}`,
      `zfs inherit zfailover:promoted ${ASIDE}`,
      'zfs set zfailover:role=replica zfailover:epoch=1 a/data',
      `zfs mount ${ASIDE}`,
    ]);
  });

  it('a tree: parents first, children unmounted before the root, datasets only on the old side stay aside', () => {
    const t = tree('a/data', {
      '': primaryDs('a/data', ['@s1:10=101', '@o1:12=401']),
      c: ds('a/data/c', ['@s1:11=102'], { readonly: false, mounted: true, written: 0 }),
      'c/new': ds('a/data/c/new', ['@o1:13=501'], { readonly: false, mounted: true, written: 0 }),
    });
    const src = tree('b/data', { '': primaryDs('b/data', ['@s1:40=101'], { epoch: 1 }), c: ds('b/data/c', ['@s1:41=102']) });
    const d = decideDemote(input({ source: src, target: t }));
    expect(d.kind).toBe('demote');
    if (d.kind === 'refuse') return;
    expect(d.asideOnly).toEqual(['a/data/c/new']);
    const ops = commands(d);
    expect(ops.filter((o) => o.startsWith('zfs unmount a/data')).slice(0, 3)).toEqual([
      'zfs unmount a/data/c/new',
      'zfs unmount a/data/c',
      'zfs unmount a/data',
    ]);
    expect(ops.filter((o) => o.startsWith('zfs clone'))).toEqual([
      `zfs clone -o canmount=noauto -o readonly=on -o zfailover:role=replica -o zfailover:epoch=1 ${ASIDE}@s1 a/data`,
      `zfs clone -o canmount=noauto -o readonly=on ${ASIDE}/c@s1 a/data/c`,
    ]);
    expect(ops.filter((o) => o.startsWith(`zfs mount`))).toEqual([`zfs mount ${ASIDE}`, `zfs mount ${ASIDE}/c`, `zfs mount ${ASIDE}/c/new`]);
  });

  it('a VM disk (zvol) in the tree is re-created without canmount and never unmounted; also when finishing an interrupted run', () => {
    const vol = (name: string, versions: string[]) => ds(name, versions, { type: 'volume', mountpoint: null, canmount: null, mounted: null, readonly: false });
    const t = tree('a/data', { '': primaryDs('a/data', ['@s1:10=101', '@o1:12=401']), 'vm-1-disk-0': vol('a/data/vm-1-disk-0', ['@s1:11=102']) });
    const src = tree('b/data', {
      '': primaryDs('b/data', ['@s1:40=101'], { epoch: 1 }),
      'vm-1-disk-0': ds('b/data/vm-1-disk-0', ['@s1:41=102'], { type: 'volume' }),
    });
    const ops = commands(decideDemote(input({ source: src, target: t })));
    expect(ops).toContain('zfs set readonly=on a/data/vm-1-disk-0');
    expect(ops).toContain(`zfs clone -o readonly=on -o zfailover:rebuilt=102 ${ASIDE}/vm-1-disk-0@s1 a/data/vm-1-disk-0`);
    expect(ops).toContain('zfs promote a/data/vm-1-disk-0');
    expect(ops.filter((o) => o.includes('vm-1-disk-0') && /canmount|mount /.test(o))).toEqual([]);

    // Interrupted after the rename: the aside tree as listed now tells the zvol apart.
    const aside = tree(ASIDE, {
      '': ds(ASIDE, ['@s1:10=101', '@o1:12=401'], { role: 'primary', roleSource: 'local' }),
      'vm-1-disk-0': vol(`${ASIDE}/vm-1-disk-0`, ['@s1:11=102']),
    });
    const resumed = commands(decideDemote(input({ source: src, target: tree('a/data', {}), aside })));
    expect(resumed).toContain(`zfs clone -o readonly=on -o zfailover:rebuilt=102 ${ASIDE}/vm-1-disk-0@s1 a/data/vm-1-disk-0`);
    expect(resumed.filter((o) => o.includes('vm-1-disk-0') && /canmount|mount /.test(o))).toEqual([]);
  });

  it('nothing after the common snapshot and no writes: only the marks change, nothing is set aside', () => {
    const clean = tree('a/data', { '': primaryDs('a/data', ['@s1:10=101'], { readonly: true, mounted: true }) });
    const d = decideDemote(input({ target: clean }));
    expect(d).toMatchObject({ kind: 'demote', aside: null });
    expect(commands(d)).toEqual(['zfs set zfailover:role=replica zfailover:epoch=1 a/data', 'zfs set canmount=noauto a/data', 'zfs unmount a/data']);
  });

  it('unknown writes (zfs-fuse) on a writable side count as diverged; a readonly replica has none', () => {
    const fuse = tree('a/data', { '': primaryDs('a/data', ['@s1:10=101'], { written: null }) });
    expect(decideDemote(input({ target: fuse }))).toMatchObject({ aside: ASIDE });
    const replica = tree('a/data', { '': replicaDs('a/data', ['@s1:10=101'], { written: null, epoch: 1 }) });
    const d = decideDemote(input({ target: replica }));
    expect(d).toMatchObject({ kind: 'demote', aside: null, hooks: false });
    expect(commands(d)).toEqual([]);
  });

  it('refuses to demote the newer primary, a replica of a newer epoch, or from a source that is not primary', () => {
    expect(decideDemote(input({ target: tree('a/data', { '': primaryDs('a/data', ['@s1:10=101'], { epoch: 1 }) }) }))).toMatchObject({
      kind: 'refuse',
      conflict: 'unsafe',
    });
    expect(decideDemote(input({ target: tree('a/data', { '': replicaDs('a/data', ['@s1:10=101'], { epoch: 2 }) }) }))).toMatchObject({
      conflict: 'target-epoch-higher',
    });
    expect(decideDemote(input({ source: tree('b/data', { '': replicaDs('b/data', ['@s1:40=101']) }) }))).toMatchObject({ conflict: 'source-not-primary' });
  });

  it('sets a tree with no common snapshot aside whole (nothing re-created, the first sync sends it in full)', () => {
    const d = decideDemote(input({ target: tree('a/data', { '': replicaDs('a/data', ['@x:10=999']), c: ds('a/data/c', ['@s1:11=102']) }) }));
    expect(d).toMatchObject({ kind: 'demote', aside: ASIDE, notes: [expect.stringMatching(/^a\/data shared no snapshot with .*first sync sends it in full/)] });
    const ops = commands(d);
    expect(ops).toContain(`zfs rename a/data ${ASIDE}`);
    // No clone, and no mark on the missing root: sync marks what it creates.
    expect(ops.filter((c) => / (clone|promote) /.test(c) || c.endsWith(' a/data'))).toEqual([]);
    expect(ops).toContain(`zfs inherit zfailover:role ${ASIDE}`);
  });

  it('a child with no common snapshot stays aside with its children; the rest is re-created', () => {
    const target = tree('a/data', {
      '': replicaDs('a/data', ['@s1:10=101']),
      c: ds('a/data/c', ['@x:11=999']),
      'c/g': ds('a/data/c/g', ['@s1:12=103']),
    });
    const src = tree('b/data', { '': primaryDs('b/data', ['@s1:40=101']), c: ds('b/data/c', ['@s1:41=102']), 'c/g': ds('b/data/c/g', ['@s1:42=103']) });
    const d = decideDemote(input({ source: src, target }));
    expect(d).toMatchObject({ kind: 'demote', notes: ['a/data/c shared no snapshot with b/data: kept aside only, the first sync sends it in full'] });
    const clones = commands(d).filter((c) => c.startsWith('zfs clone'));
    expect(clones).toEqual([`zfs clone -o canmount=noauto -o readonly=on -o zfailover:role=replica -o zfailover:epoch=0 ${ASIDE}@s1 a/data`]);
  });

  it('finishes an interrupted set-aside of an unrelated tree: marks the aside, leaves the target to the first sync', () => {
    const aside = tree(ASIDE, { '': ds(ASIDE, ['@x:10=999'], { role: 'replica', roleSource: 'local' }) });
    const d = decideDemote(input({ target: tree('a/data', {}), aside }));
    expect(d).toMatchObject({ kind: 'demote', aside: ASIDE, notes: ['finishing an interrupted demote', expect.stringMatching(/shared no snapshot/)] });
    expect(commands(d)).toEqual([
      `zfs inherit zfailover:role ${ASIDE}`,
      `zfs inherit zfailover:epoch ${ASIDE}`,
      `zfs inherit zfailover:promoted ${ASIDE}`,
      `zfs mount ${ASIDE}`,
    ]);
  });

  it('refuses a pool root that cannot be renamed aside', () => {
    const poolRoot = tree('a', { '': primaryDs('a', ['@s1:10=101', '@o1:12=401']) });
    expect(decideDemote(input({ target: poolRoot }))).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/pool's root dataset/) });
  });

  it('finishes an interrupted run: clones what is missing, promotes what is still a clone of the aside', () => {
    const aside = tree(ASIDE, { '': ds(ASIDE, ['@s1:10=101', '@o1:12=401'], { role: 'primary', roleSource: 'local' }), c: ds(`${ASIDE}/c`, ['@s1:11=102']) });
    const src = tree('b/data', { '': primaryDs('b/data', ['@s1:40=101'], { epoch: 1 }), c: ds('b/data/c', ['@s1:41=102']) });
    // The root was cloned but not yet promoted; the child not cloned yet.
    const target = tree('a/data', { '': replicaDs('a/data', [], { origin: `${ASIDE}@s1`, epoch: 1 }) });
    const d = decideDemote(input({ source: src, target, aside }));
    expect(commands(d)).toEqual([
      'zfs promote a/data',
      `zfs clone -o canmount=noauto -o readonly=on ${ASIDE}/c@s1 a/data/c`,
      'zfs unmount a/data/c',
      'zfs promote a/data/c',
      `zfs set zfailover:diverged=1,s1,101,${NOW / 1000} ${ASIDE}`,
      `zfs inherit zfailover:role ${ASIDE}`,
      `zfs inherit zfailover:epoch ${ASIDE}`,
      `zfs inherit zfailover:promoted ${ASIDE}`,
      'zfs set zfailover:role=replica zfailover:epoch=1 a/data',
      `zfs mount ${ASIDE}`,
      `zfs mount ${ASIDE}/c`,
    ]);
    // A stale record whose target went on to be a primary again is not resumed.
    const primaryAgain = tree('a/data', { '': primaryDs('a/data', ['@s1:10=101'], { epoch: 1 }) });
    expect(decideDemote(input({ source: src, target: primaryAgain, aside }))).toMatchObject({ kind: 'refuse' });
  });
});

describe('promotion point dropped when a side stops being primary (issue 19)', async () => {
  const { demotePrimaryOps } = await import('../../../src/core/failover/switch.js');
  const { describeOp } = await import('../../../src/core/failover/ops.js');
  const { primaryDs: p, tree: t } = await import('./fixtures.js');
  it('a planned switchover demotes the old primary and inherits its zfailover:promoted (a round trip left it stale)', () => {
    const old = t('b/data', { '': p('b/data', ['@s1:10=101'], { epoch: 1, extra: { 'zfailover:promoted': '1,s1,101,10' } }) });
    expect(demotePrimaryOps(old, 2).map(describeOp)).toContain('zfs inherit zfailover:promoted b/data');
    const never = t('a/data', { '': p('a/data', ['@s1:10=101']) });
    expect(demotePrimaryOps(never, 2).map(describeOp).join('\n')).not.toMatch(/promoted/);
  });
});
