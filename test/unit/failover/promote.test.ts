// decidePromote / decideSwitch on hand-made trees: each refusal of the issue (unreachable, not primary, epoch,
// conflicts, lag, modified replica, a tree not at one snapshot, two primaries), and the exact operations of a
// planned switchover, a takeover and a re-run that finishes an interrupted one.
import { describe, expect, it } from 'vitest';
import { decidePromote, decideSwitch, type PromoteInput } from '../../../src/core/failover/promote.js';
import { describeOp } from '../../../src/core/failover/ops.js';
import type { TreeView } from '../../../src/core/failover/tree.js';
import { ds, NOW, primaryDs, replicaDs, tree } from './fixtures.js';

const P = (entries = { '': primaryDs('a/data', ['@s1:10=101', '@s2:12=102']) }): TreeView => tree('a/data', entries);
const R = (entries = { '': replicaDs('b/data', ['@s1:40=101', '@s2:41=102']) }): TreeView => tree('b/data', entries);

const input = (p: Partial<PromoteInput>): PromoteInput => ({
  mode: 'planned',
  now: NOW,
  primary: P(),
  replica: R(),
  maxLag: null,
  acceptTree: false,
  evidence: null,
  interrupted: false,
  command: 'zfailover promote --job data',
  demoteCommand: 'zfailover demote --job data-back',
  ...p,
});

const commands = (d: ReturnType<typeof decidePromote>): string[] =>
  d.kind === 'refuse' ? [] : [...d.prepare, ...(d.switch ?? [])].flatMap((g) => g.ops.map((o) => `${g.side}: ${describeOp(o)}`));

describe('planned switchover preflight', () => {
  it('fences the primary, asks for a final sync, raises the epoch', () => {
    const d = decidePromote(input({}));
    expect(d.kind).toBe('promote');
    if (d.kind === 'refuse') return;
    expect(d.epoch).toBe(1);
    expect(d.finalSync).toBe(true);
    expect(d.switch).toBeNull();
    expect(commands(d)).toEqual(['primary: zfs set readonly=on a/data']);
    expect(d.lagSeconds).toBe(0);
  });

  it('refuses without the primary, or when it is not primary, or when the replica has a higher epoch', () => {
    expect(decidePromote(input({ primary: null, primaryError: 'connection refused' }))).toMatchObject({
      kind: 'refuse',
      conflict: 'unsafe',
      reason: expect.stringMatching(/unreachable \(connection refused\)/),
      hint: 'zfailover promote --job data --takeover --force  # only if it is down for good',
    });
    expect(decidePromote(input({ primary: P({ '': primaryDs('a/data', ['@s1:10=101'], { role: 'replica' }) }) }))).toMatchObject({
      conflict: 'source-not-primary',
    });
    expect(decidePromote(input({ replica: R({ '': replicaDs('b/data', ['@s1:40=101'], { epoch: 3 }) }) }))).toMatchObject({ conflict: 'target-epoch-higher' });
  });

  it('refuses what the final sync would refuse, naming the planner conflict', () => {
    const diverged = R({ '': replicaDs('b/data', ['@s1:40=101', '@x:41=900']) });
    expect(decidePromote(input({ replica: diverged }))).toMatchObject({ kind: 'refuse', conflict: 'diverged' });
    const modified = R({ '': replicaDs('b/data', ['@s1:40=101'], { written: 100 }) });
    expect(decidePromote(input({ replica: modified }))).toMatchObject({ conflict: 'target-modified' });
  });

  it('refuses a replica further behind than max_lag, and measures the lag from the common snapshot', () => {
    const behind = R({ '': replicaDs('b/data', ['@s1:40=101']) });
    const d = decidePromote(input({ replica: behind, maxLag: 20 }));
    expect(d).toMatchObject({ kind: 'refuse', conflict: 'unsafe', reason: expect.stringMatching(/30s behind \(max_lag 20s\)/) });
    expect(decidePromote(input({ replica: behind, maxLag: 300 }))).toMatchObject({ kind: 'promote', lagSeconds: 30 });
  });
});

describe('takeover preflight', () => {
  const down = { mode: 'takeover' as const, primary: null, primaryError: 'connection refused' };

  it('promotes at the newest snapshot, epoch + 1, fenced before it becomes writable, then mounts', () => {
    const d = decidePromote(input({ ...down, replica: R({ '': replicaDs('b/data', ['@s1:40=101', '@s2:41=102'], { resumeToken: '1-abc', written: null }) }) }));
    expect(d.kind).toBe('promote');
    if (d.kind === 'refuse') return;
    expect(d.epoch).toBe(1);
    expect(commands(d)).toEqual([
      'replica: zfs receive -A b/data',
      'replica: zfs rollback b/data@s2',
      `replica: zfs set zfailover:role=primary zfailover:epoch=1 zfailover:promoted=1,s2,102,${NOW / 1000} b/data`,
      'replica: zfs set readonly=off b/data',
      'replica: zfs set canmount=on b/data',
      'replica: zfs mount b/data',
    ]);
    expect(d.lagSeconds).toBe(NOW / 1000 - (1_700_000_000 + 41));
  });

  it('refuses when the primary answers and is primary: a planned switchover loses nothing', () => {
    expect(decidePromote(input({ mode: 'takeover' }))).toMatchObject({ kind: 'refuse', conflict: 'unsafe', hint: 'zfailover promote --job data' });
  });

  it('never discards writes made on the replica, and refuses to guess where it cannot tell', () => {
    expect(decidePromote(input({ ...down, replica: R({ '': replicaDs('b/data', ['@s1:40=101'], { written: 512 }) }) }))).toMatchObject({
      conflict: 'target-modified',
    });
    expect(decidePromote(input({ ...down, replica: R({ '': replicaDs('b/data', ['@s1:40=101'], { written: null, readonly: false }) }) }))).toMatchObject({
      conflict: 'unsafe',
    });
  });

  it('promotes a tree only as a whole: a child behind or ahead of the root is refused unless accepted', () => {
    const mixed = R({ '': replicaDs('b/data', ['@s1:40=101', '@s2:42=102']), c: replicaDs('b/data/c', ['@s1:41=101']) });
    const d = decidePromote(input({ ...down, replica: mixed }));
    expect(d).toMatchObject({
      kind: 'refuse',
      conflict: 'unsafe',
      reason: expect.stringMatching(/not at one snapshot: b\/data\/c is at @s1, before the root's @s2: unchanged since, or its last receive failed/),
    });
    const ok = decidePromote(input({ ...down, replica: mixed, acceptTree: true }));
    expect(ok.kind).toBe('promote');
    if (ok.kind !== 'refuse') expect(ok.notes[0]).toMatch(/^accepted: b\/data\/c is at @s1/);
    // The last successful sync run vouches for a child that was unchanged (OpenZFS snapshots only changed ones).
    const vouched = decidePromote(input({ ...down, replica: mixed, evidence: { ok: true, rootGuid: '102', datasets: { '': '102', c: '101' } } }));
    expect(vouched.kind).toBe('promote');
    expect(decidePromote(input({ ...down, replica: mixed, evidence: { ok: false, rootGuid: '102', datasets: { c: '101' } } })).kind).toBe('refuse');
    // OpenZFS: only the child changed in the last cycle, so it is ahead of the unchanged root by name.
    const ahead = R({ '': replicaDs('b/data', ['@s1:40=101']), c: replicaDs('b/data/c', ['@s1:41=201', '@s2:43=202']) });
    expect(decidePromote(input({ ...down, replica: ahead }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/b\/data\/c is at @s2, after the root's @s1/),
    });
    expect(decidePromote(input({ ...down, replica: ahead, evidence: { ok: true, rootGuid: '101', datasets: { '': '101', c: '202' } } })).kind).toBe('promote');
  });

  it('children: readonly follows the root, each gets its own promotion point, mounted parents first', () => {
    const t = R({ '': replicaDs('b/data', ['@s1:40=101']), c: replicaDs('b/data/c', ['@s1:41=201'], { roleSource: 'inherited' }) });
    const d = decidePromote(input({ mode: 'takeover', primary: null, replica: t }));
    expect(commands(d)).toEqual([
      `replica: zfs set zfailover:role=primary zfailover:epoch=1 zfailover:promoted=1,s1,101,${NOW / 1000} b/data`,
      `replica: zfs set zfailover:promoted=1,s1,201,${NOW / 1000} b/data/c`,
      'replica: zfs set readonly=off b/data',
      'replica: zfs inherit readonly b/data/c',
      'replica: zfs set canmount=on b/data',
      'replica: zfs mount b/data',
      'replica: zfs set canmount=on b/data/c',
      'replica: zfs mount b/data/c',
    ]);
  });
});

describe('a replica that is primary already', () => {
  const promoted = R({ '': replicaDs('b/data', ['@s1:40=101', '@s2:41=102'], { role: 'primary', epoch: 1, readonly: true }) });

  it('refuses two primaries of the same or a higher epoch on the other side', () => {
    expect(decidePromote(input({ replica: promoted, primary: P({ '': primaryDs('a/data', ['@s1:10=101', '@s2:12=102'], { epoch: 1 }) }) }))).toMatchObject({
      conflict: 'two-primaries',
    });
  });

  it('finishes a planned switchover stopped after the promotion: the old primary is fenced and has nothing more', () => {
    const old = P({ '': primaryDs('a/data', ['@s1:10=101', '@s2:12=102'], { readonly: true }) });
    const d = decidePromote(input({ replica: promoted, primary: old }));
    expect(d).toMatchObject({ kind: 'finish', epoch: 1, hooksAfter: true });
    expect(commands(d)).toEqual([
      'replica: zfs set readonly=off b/data',
      'replica: zfs set canmount=on b/data',
      'replica: zfs mount b/data',
      'primary: zfs set zfailover:role=replica zfailover:epoch=1 a/data',
      'primary: zfs set canmount=noauto a/data',
      'primary: zfs unmount a/data',
    ]);
  });

  it("does not finish when the old primary holds data the new one lacks: that is demote's job", () => {
    const old = P({ '': primaryDs('a/data', ['@s1:10=101', '@s2:12=102', '@s3:13=103'], { readonly: true }) });
    expect(decidePromote(input({ replica: promoted, primary: old }))).toMatchObject({
      kind: 'refuse',
      conflict: 'two-primaries',
      reason: expect.stringMatching(/a\/data@s3/),
      hint: expect.stringMatching(/zfailover demote --job data-back/),
    });
  });

  it('with the old side gone or demoted: confirms, only making sure it is writable and mounted', () => {
    const d = decidePromote(input({ mode: 'takeover', replica: promoted, primary: null }));
    expect(d).toMatchObject({ kind: 'already', epoch: 1, hooksAfter: false });
    expect(commands(d)).toEqual(['replica: zfs set readonly=off b/data', 'replica: zfs set canmount=on b/data', 'replica: zfs mount b/data']);
    expect(decidePromote(input({ mode: 'takeover', replica: promoted, primary: null, interrupted: true }))).toMatchObject({
      kind: 'already',
      hooksAfter: true,
    });
  });
});

describe('decideSwitch after the final sync', () => {
  it("switches only when every dataset has the primary's newest snapshot by GUID", () => {
    const p = P({ '': primaryDs('a/data', ['@s1:10=101', '@s3:14=103'], { readonly: true }) });
    const r = R({ '': replicaDs('b/data', ['@s1:40=101', '@s3:44=103']) });
    const sw = decideSwitch(p, r, 1, NOW);
    expect(sw.kind).toBe('switch');
    if (sw.kind === 'switch') expect(sw.points.get('')?.name).toBe('s3');
    const renamed = R({ '': replicaDs('b/data', ['@s1:40=101', '@s3:44=999']) });
    expect(decideSwitch(p, renamed, 1, NOW)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/GUIDs differ/) });
    const written = P({ '': primaryDs('a/data', ['@s1:10=101', '@s3:14=103'], { written: 4096 }) });
    expect(decideSwitch(written, r, 1, NOW)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/stop hook did not stop every writer/) });
    const missingChild = P({ '': primaryDs('a/data', ['@s1:10=101', '@s3:14=103']), c: ds('a/data/c', ['@s3:15=c3']) });
    expect(decideSwitch(missingChild, r, 1, NOW).kind).toBe('refuse');
  });
});
