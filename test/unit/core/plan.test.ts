// Planner: one example per row of the state machine (docs/design.md §4.2), then properties over random histories.
import { describe, expect, it } from 'vitest';
import { applySteps, planReplication, type TargetState } from '../../../src/core/plan.js';
import { resolveConflict, rollbackUnknownWrites } from '../../../src/core/resolve.js';
import { vl } from './fixtures.js';

const src = (...s: string[]) => ({ versions: vl('tank/d', ...s), epoch: null });
const tgt = (specs: string[], extra: Partial<TargetState> = {}): TargetState => ({
  versions: vl('backup/d', ...specs),
  written: 0,
  resume: null,
  role: null,
  epoch: null,
  ...extra,
});

describe('planReplication: state machine rows', () => {
  it('a name the stream would carry, held by an older target snapshot with another GUID, is snapshot-name-reused', () => {
    // Source: @dup destroyed and taken again (guid 9) after the common @b; the target still has the old @dup (guid 1).
    const d = planReplication(src('@b:2', '@dup:3=9', '@c:4'), tgt(['@dup:1=1', '@b:2']));
    expect(d).toMatchObject({ kind: 'conflict', conflict: 'snapshot-name-reused', common: { target: { name: 'b' } } });
    if (d.kind !== 'conflict' || d.conflict !== 'snapshot-name-reused') return;
    expect(d.clashes.map((c) => [c.source.guid, c.target.guid])).toEqual([['9', '1']]);
    // Not resolved by --rollback-target (a rollback cannot reach a snapshot older than the common one).
    expect(resolveConflict(d, { rollbackTarget: true })).toBe(d);
    // Only the newest is sent without intermediates: a clash on an intermediate name does not matter then.
    expect(planReplication(src('@b:2', '@dup:3=9', '@c:4'), tgt(['@dup:1=1', '@b:2']), { initial: 'all', intermediates: false }).kind).toBe('plan');
    // The same name with the same GUID is the same snapshot: no clash.
    expect(planReplication(src('@dup:1=1', '@b:2', '@c:4'), tgt(['@dup:1=1', '@b:2'])).kind).toBe('plan');
  });

  it('source without snapshots is a conflict', () => {
    expect(planReplication(src(), null)).toMatchObject({ kind: 'conflict', conflict: 'no-source-snapshots' });
  });

  it('absent target: full of the oldest, then -I to the newest', () => {
    const d = planReplication(src('@a:1', '@b:2', '@c:3'), null);
    expect(d.kind).toBe('plan');
    if (d.kind !== 'plan') return;
    expect(d.steps.map((s) => [s.kind, 'from' in s ? s.from.name : null, 'to' in s ? s.to.name : null])).toEqual([
      ['full', null, 'a'],
      ['incremental', 'a', 'c'],
    ]);
  });

  it('absent target with initial=newest: one full send of the newest', () => {
    const d = planReplication(src('@a:1', '@b:2'), null, { initial: 'newest', intermediates: true });
    expect(d).toMatchObject({ kind: 'plan', steps: [{ kind: 'full', to: { name: 'b' } }] });
  });

  it('common by GUID, not by name: a renamed snapshot still counts, a same-named one does not', () => {
    // target's "b" has a different guid (re-created); its "old" is the source's a under another name
    const d = planReplication(src('@a:1', '@b:2', '@c:3'), tgt(['@old:10=a', '@b:11=zz']));
    expect(d).toMatchObject({ kind: 'conflict', conflict: 'diverged', targetOnly: [{ name: 'b', guid: 'zz' }] });
    const d2 = planReplication(src('@a:1', '@b:2', '@c:3'), tgt(['@old:10=a']));
    expect(d2).toMatchObject({ kind: 'plan', steps: [{ kind: 'incremental', from: { name: 'a' }, to: { name: 'c' }, intermediates: true }] });
  });

  it('falls back to an older common snapshot when the newest common was deleted on the target', () => {
    const d = planReplication(src('@a:1', '@b:2', '@c:3', '@d:4'), tgt(['@a:10']));
    expect(d).toMatchObject({ kind: 'plan', steps: [{ kind: 'incremental', from: { name: 'a' }, to: { name: 'd' } }] });
  });

  it('starts from a source bookmark when the common snapshot is gone on the source', () => {
    const d = planReplication(src('#b:2', '@c:3', '@d:4'), tgt(['@a:10=a', '@b:11=b']));
    expect(d.kind).toBe('plan');
    if (d.kind !== 'plan') return;
    expect(d.steps).toMatchObject([
      { kind: 'incremental', from: { kind: 'bookmark', name: 'b' }, to: { name: 'c' }, intermediates: false },
      { kind: 'incremental', from: { name: 'c' }, to: { name: 'd' }, intermediates: true },
    ]);
  });

  it('nothing to do when the newest source snapshot is on the target', () => {
    expect(planReplication(src('@a:1', '@b:2'), tgt(['@a:5', '@b:6']))).toMatchObject({ kind: 'nothing-to-do', common: { source: { name: 'b' } } });
  });

  it('no common snapshot, with both lists as evidence', () => {
    const d = planReplication(src('@a:1'), tgt(['@x:1']));
    expect(d).toMatchObject({ kind: 'conflict', conflict: 'no-common-snapshot', sourceVersions: [{ name: 'a' }], targetVersions: [{ name: 'x' }] });
    expect(planReplication(src('@a:1'), tgt([]))).toMatchObject({ conflict: 'no-common-snapshot' });
  });

  it('diverged: both sides have snapshots after the common one', () => {
    const d = planReplication(src('@a:1', '@b:2'), tgt(['@a:5', '@t:6']));
    expect(d).toMatchObject({
      kind: 'conflict',
      conflict: 'diverged',
      common: { source: { name: 'a' } },
      sourceOnly: [{ name: 'b' }],
      targetOnly: [{ name: 't' }],
    });
  });

  it('target-newer: only the target has snapshots after the common one', () => {
    expect(planReplication(src('@a:1'), tgt(['@a:5', '@t:6']))).toMatchObject({ conflict: 'target-newer', targetOnly: [{ name: 't' }] });
  });

  it('target-modified: written since the common snapshot', () => {
    expect(planReplication(src('@a:1', '@b:2'), tgt(['@a:5'], { written: 4096 }))).toMatchObject({ conflict: 'target-modified', written: 4096 });
  });

  it('unknown written (zfs-fuse) is not a conflict: the receive itself will tell', () => {
    expect(planReplication(src('@a:1', '@b:2'), tgt(['@a:5'], { written: null })).kind).toBe('plan');
  });

  it('fencing: never into a primary, never into a higher epoch, before anything else', () => {
    expect(planReplication(src('@a:1'), tgt(['@a:5'], { role: 'primary', epoch: 3 }))).toMatchObject({ conflict: 'target-is-primary', targetEpoch: 3 });
    expect(planReplication({ ...src('@a:1', '@b:2'), epoch: 1 }, tgt(['@a:5'], { role: 'replica', epoch: 2 }))).toMatchObject({
      conflict: 'target-epoch-higher',
      sourceEpoch: 1,
      targetEpoch: 2,
    });
  });

  it('resume first, then continue to the newest', () => {
    const d = planReplication(src('@a:1', '@b:2', '@c:3'), tgt(['@a:5'], { resume: { token: '1-abc', toGuid: 'b' } }));
    expect(d).toMatchObject({
      kind: 'plan',
      steps: [
        { kind: 'resume', token: '1-abc', to: { name: 'b' } },
        { kind: 'incremental', from: { name: 'b' }, to: { name: 'c' } },
      ],
    });
  });

  it('a resume token whose snapshot is gone is aborted, then the cycle re-plans', () => {
    const d = planReplication(src('@a:1', '@c:3'), tgt(['@a:5'], { resume: { token: '1-abc', toGuid: 'b' } }));
    expect(d).toMatchObject({ kind: 'plan', steps: [{ kind: 'abort-resume' }, { kind: 'incremental', from: { name: 'a' }, to: { name: 'c' } }] });
  });

  it('a partial first receive (target without snapshots) resumes', () => {
    const d = planReplication(src('@a:1', '@b:2'), tgt([], { resume: { token: 't', toGuid: 'a' } }));
    expect(d).toMatchObject({
      kind: 'plan',
      steps: [
        { kind: 'resume', to: { name: 'a' } },
        { kind: 'incremental', from: { name: 'a' }, to: { name: 'b' } },
      ],
    });
  });

  it('a partial first receive whose snapshot is gone is aborted (recv -A destroys it), then sent in full', () => {
    // Found by the runCycle model test: re-planning the emptied target as existing gave no-common-snapshot forever.
    const d = planReplication(src('@b:2'), tgt([], { resume: { token: 't', toGuid: 'a' } }));
    expect(d).toMatchObject({ kind: 'plan', steps: [{ kind: 'abort-resume' }, { kind: 'full', to: { name: 'b' } }] });
  });

  it('-i mode sends only the newest', () => {
    const d = planReplication(src('@a:1', '@b:2', '@c:3'), tgt(['@a:5']), { initial: 'all', intermediates: false });
    expect(d).toMatchObject({ steps: [{ kind: 'incremental', from: { name: 'a' }, to: { name: 'c' }, intermediates: false }] });
  });
});

describe('resolveConflict', () => {
  it('leaves every conflict alone by default', () => {
    const d = planReplication(src('@a:1', '@b:2'), tgt(['@a:5', '@t:6']));
    expect(resolveConflict(d, { rollbackTarget: false })).toBe(d);
  });

  it('rolls a diverged target back to the common snapshot, destroying only target-only snapshots', () => {
    const d = resolveConflict(planReplication(src('@a:1', '@b:2'), tgt(['@a:5', '@t:6'])), { rollbackTarget: true });
    expect(d).toMatchObject({
      kind: 'plan',
      steps: [
        { kind: 'rollback', to: { name: 'a', dataset: 'backup/d' }, destroys: [{ name: 't' }] },
        { kind: 'incremental', from: { name: 'a' }, to: { name: 'b' } },
      ],
    });
  });

  it('never resolves fencing conflicts or a missing common snapshot', () => {
    for (const d of [planReplication(src('@a:1'), tgt(['@a:5'], { role: 'primary' })), planReplication(src('@a:1'), tgt(['@x:5']))]) {
      expect(resolveConflict(d, { rollbackTarget: true })).toBe(d);
    }
  });

  it('a rolled-back modified target then needs nothing more when the source has nothing newer', () => {
    const d = resolveConflict(planReplication(src('@a:1'), tgt(['@a:5'], { written: 10 })), { rollbackTarget: true });
    expect(d).toMatchObject({ kind: 'plan', steps: [{ kind: 'rollback', destroys: [] }] });
    if (d.kind !== 'plan') return;
    const after = applySteps(tgt(['@a:5'], { written: 10 }), d.steps);
    expect(planReplication(src('@a:1'), after).kind).toBe('nothing-to-do');
  });
});

describe('rollbackUnknownWrites', () => {
  const plan = planReplication(src('@a:1', '@b:2'), tgt(['@a:5'], { written: null }));
  it('prepends a rollback to the common snapshot when writes cannot be known and the policy allows it', () => {
    expect(rollbackUnknownWrites(plan, { rollbackTarget: true }, false)).toMatchObject({
      steps: [{ kind: 'rollback', to: { name: 'a', dataset: 'backup/d' }, destroys: [] }, { kind: 'incremental' }],
    });
  });
  it('changes nothing without the policy, when writes are known, or for an initial replication', () => {
    expect(rollbackUnknownWrites(plan, { rollbackTarget: false }, false)).toBe(plan);
    expect(rollbackUnknownWrites(plan, { rollbackTarget: true }, true)).toBe(plan);
    const initial = planReplication(src('@a:1'), null);
    expect(rollbackUnknownWrites(initial, { rollbackTarget: true }, false)).toBe(initial);
  });
});
