// Replica classification (src/core/divergence.ts): one example per relation, and agreement with the planner
// and with the lag computation over random histories.
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import { classifyReplica, needsOperator, type ReplicaView, type SourceView } from '../../../src/core/divergence.js';
import { computeLag } from '../../../src/core/lag.js';
import { planReplication } from '../../../src/core/plan.js';
import type { Version } from '../../../src/core/versions.js';
import { vl } from '../core/fixtures.js';
import { historyArb } from '../core/history.js';

const src = (versions: Version[], extra: Partial<SourceView> = {}): SourceView => ({ versions, epoch: null, role: null, ...extra });
const tgt = (versions: Version[], extra: Partial<ReplicaView> = {}): ReplicaView => ({ versions, written: 0, resume: null, role: null, epoch: null, ...extra });

describe('classifyReplica', () => {
  const s = vl('tank/d', '@a:1', '@b:2', '@c:3');
  it.each([
    ['in-sync', src(s), tgt(vl('bk/d', '@a:1', '@b:2', '@c:3'))],
    ['behind', src(s), tgt(vl('bk/d', '@a:1'))],
    ['absent', src(s), null],
    ['target-modified', src(s), tgt(vl('bk/d', '@a:1', '@b:2', '@c:3'), { written: 8192 })],
    ['target-newer', src(vl('tank/d', '@a:1', '@b:2')), tgt(vl('bk/d', '@a:1', '@b:2', '@x:3'))],
    ['diverged', src(s), tgt(vl('bk/d', '@a:1', '@x:2'))],
    ['no-common-snapshot', src(vl('tank/d', '@c:3')), tgt(vl('bk/d', '@a:1', '@b:2'))],
    ['no-common-snapshot', src(s), tgt([])],
    ['no-source-snapshots', src([]), tgt(vl('bk/d', '@a:1'))],
    ['target-is-primary', src(s), tgt(vl('bk/d', '@a:1'), { role: 'primary', epoch: 2 })],
    ['target-epoch-higher', src(s, { epoch: 1 }), tgt(vl('bk/d', '@a:1'), { epoch: 2 })],
    ['two-primaries', src(s, { role: 'primary' }), tgt(vl('bk/d', '@a:1'), { role: 'primary' })],
  ] as const)('%s', (relation, source, target) => {
    expect(classifyReplica(source, target).relation).toBe(relation);
  });

  it('names what each side has after the common snapshot when diverged', () => {
    const c = classifyReplica(src(s), tgt(vl('bk/d', '@a:1', '@x:2', '@y:3')));
    expect([c.common?.target.name, c.sourceOnly.map((v) => v.name), c.targetOnly.map((v) => v.name)]).toEqual(['a', ['b', 'c'], ['x', 'y']]);
  });
  it('is behind, not a conflict, while a partial receive is pending', () => {
    const c = classifyReplica(src(s), tgt(vl('bk/d', '@a:1'), { resume: { token: '1-abc', toGuid: 'b' } }));
    expect([c.relation, c.resumePending]).toEqual(['behind', true]);
  });
  it('needsOperator is false only for states the next sync fixes', () => {
    expect(['in-sync', 'behind', 'absent', 'diverged', 'two-primaries'].map((r) => needsOperator(r as never))).toEqual([false, false, false, true, true]);
  });
});

describe('agreement', () => {
  test.prop([historyArb])('the relation is the planner decision: a conflict name, in-sync for nothing-to-do, behind/absent for a plan', (h) => {
    const c = classifyReplica({ ...h.source, role: null }, h.target);
    const d = planReplication(h.source, h.target);
    const expected = d.kind === 'conflict' ? d.conflict : d.kind === 'nothing-to-do' ? 'in-sync' : h.target ? 'behind' : 'absent';
    expect(c.relation).toBe(expected);
  });
  test.prop([historyArb])('in-sync means zero snapshots behind in the lag; behind means the lag sees more to send or a partial receive', (h) => {
    if (!h.target) return;
    const c = classifyReplica({ ...h.source, role: null }, h.target);
    const lag = computeLag({ versions: h.source.versions, written: null }, { versions: h.target.versions }, 2e9);
    if (c.relation === 'in-sync') expect(lag.behind).toEqual([]);
    if (c.relation === 'behind') expect(lag.behind.length > 0 || c.resumePending).toBe(true);
    if (c.relation === 'no-common-snapshot') expect(lag.rpo).toBeNull();
  });
});
