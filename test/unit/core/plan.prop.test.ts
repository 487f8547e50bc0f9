// Properties of the planner and the sync-snapshot cleanup over random histories: the iron rule, convergence,
// and that nothing common or foreign is ever destroyed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanupFor, historyArb, type History } from './history.js';
import { newestCommon } from '../../../src/core/common.js';
import { planSyncCleanup } from '../../../src/core/cleanup.js';
import { applySteps, planReplication } from '../../../src/core/plan.js';
import { isSyncSnapshotName, ownsSyncSnapshot, parseSyncSnapshotName } from '../../../src/core/names.js';
import { newestSnapshot, type Version } from '../../../src/core/versions.js';

const RUNS = { numRuns: 1000 };

describe('planner properties', () => {
  it('a plan starts at the newest common GUID and ends at the source newest', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const d = planReplication(h.source, h.target, h.options);
        if (d.kind !== 'plan' || h.target === null || h.target.resume) return;
        const common = newestCommon(h.source.versions, h.target.versions);
        const first = d.steps[0]!;
        expect(first.kind).toBe('incremental');
        if (first.kind === 'incremental') expect(first.from.guid).toBe(common?.source.guid);
        const last = d.steps[d.steps.length - 1]!;
        expect('to' in last && last.to.guid).toBe(newestSnapshot(h.source.versions)?.guid);
      }),
      RUNS,
    );
  });

  it('applying a plan and planning again gives nothing to do', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const d = planReplication(h.source, h.target, h.options);
        if (d.kind !== 'plan') return;
        const empty = { versions: [], written: 0, resume: null, role: null, epoch: null };
        const after = applySteps(h.target ?? empty, d.steps, h.source);
        expect(planReplication(h.source, after, h.options).kind).toBe('nothing-to-do');
      }),
      RUNS,
    );
  });

  it('never plans over target snapshots newer than the common one, nor a full send into an existing target', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const d = planReplication(h.source, h.target, h.options);
        if (d.kind !== 'plan' || h.target === null) return;
        // Except into a partial first receive, which the abort before it destroys (recv -A).
        const emptiedFirst = h.target.versions.length === 0 && d.steps[0]?.kind === 'abort-resume';
        expect(d.steps.some((s) => (s.kind === 'full' && !emptiedFirst) || s.kind === 'rollback')).toBe(false);
        const common = newestCommon(h.source.versions, h.target.versions);
        if (common && !h.target.resume) {
          expect(h.target.versions.filter((v) => v.kind === 'snapshot' && v.createtxg > common.target.createtxg)).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  it('every step sends a snapshot the source has and starts from a version the target has', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const d = planReplication(h.source, h.target, h.options);
        if (d.kind !== 'plan') return;
        let target = h.target ?? { versions: [], written: 0, resume: null, role: null, epoch: null };
        for (const s of d.steps) {
          if (s.kind === 'incremental' || s.kind === 'full' || s.kind === 'resume') {
            expect(h.source.versions.some((v) => v.kind === 'snapshot' && v.guid === s.to.guid)).toBe(true);
          }
          if (s.kind === 'incremental') {
            expect(h.source.versions.some((v) => v.guid === s.from.guid)).toBe(true);
            expect(target.versions.some((v) => v.kind === 'snapshot' && v.guid === s.from.guid)).toBe(true);
          }
          target = applySteps(target, [s], h.source);
        }
      }),
      RUNS,
    );
  });
});

describe('left-out intermediates', () => {
  it('an incremental plan carries no left-out snapshot but the newest, and every other intermediate', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const d = planReplication(h.source, h.target, h.options);
        if (d.kind !== 'plan' || !h.options.intermediates || h.target === null || h.target.resume) return;
        const leaveOut = h.options.leaveOut ?? (() => false);
        const newest = newestSnapshot(h.source.versions)!;
        const carried = new Set<string>();
        for (const s of d.steps) {
          if (s.kind !== 'incremental') continue;
          const span = s.intermediates
            ? h.source.versions.filter((v) => v.kind === 'snapshot' && v.createtxg > s.from.createtxg && v.createtxg <= s.to.createtxg)
            : [s.to];
          for (const v of span) carried.add(v.guid);
        }
        const common = newestCommon(h.source.versions, h.target.versions)!;
        const after = h.source.versions.filter((v) => v.kind === 'snapshot' && v.createtxg > common.source.createtxg);
        expect(after.filter((v) => carried.has(v.guid) && v.guid !== newest.guid && leaveOut(v))).toEqual([]);
        expect(after.filter((v) => !carried.has(v.guid) && !leaveOut(v))).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('sync snapshot cleanup properties', () => {
  it("destroys a subset of this installation's own sync snapshots of this job, never a common one, never the newest", () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const { plan, cursors, owner } = cleanupFor(h);
        const commons = new Set(cursors.map((c) => c.commonGuid).filter((g): g is string => g !== null));
        const srcSnaps = h.source.versions;
        for (const v of plan.source) {
          expect(srcSnaps).toContain(v);
          // Ours: this installation's name, or this job's pre-identity (legacy) name; never another installation's.
          expect(ownsSyncSnapshot(owner, v.name)).toBe(true);
          expect([owner.installation, null]).toContain(parseSyncSnapshotName(v.name)?.installation);
          expect(commons.has(v.guid)).toBe(false);
        }
        const newestOwn = srcSnaps.filter((v) => ownsSyncSnapshot(owner, v.name)).at(-1);
        if (newestOwn) expect(plan.source).not.toContain(newestOwn);
        const onSource = new Set(srcSnaps.map((v) => v.guid));
        for (const [id, doomed] of plan.targets) {
          const c = cursors.find((x) => x.id === id)!;
          for (const v of doomed) {
            expect(c.versions).toContain(v);
            expect(v.guid).not.toBe(c.commonGuid);
            // Another installation's (or job's) sync snapshot only once its owner retired it on the source.
            expect(ownsSyncSnapshot(owner, v.name) || (isSyncSnapshotName(v.name) && !onSource.has(v.guid))).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it("never destroys another installation's sync snapshot on the source, whatever the histories", () => {
    fc.assert(
      fc.property(historyArb, fc.boolean(), (h, forget) => {
        const { plan } = cleanupFor(h, { forgetFirst: forget });
        for (const v of plan.source) expect(parseSyncSnapshotName(v.name)?.installation ?? null).not.toBe('host-b-9c8b7a');
        // ...and seen from the other installation, ours are never its own.
        const theirs = planSyncCleanup({ job: 'job1', installation: 'host-b-9c8b7a' }, h.source.versions, []);
        for (const v of theirs.source) expect(parseSyncSnapshotName(v.name)?.installation ?? null).not.toBe('host-a-1f2e3d');
      }),
      RUNS,
    );
  });

  it('destroys nothing on the source while a target holding data has no known common point', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const { plan, cursors } = cleanupFor(h, { forgetFirst: true });
        if (cursors[0]!.versions === null || cursors[0]!.versions.length > 0) expect(plan.source).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a held snapshot is never destroyed; what holds alone keep is named (held), exactly what the same plan without holds adds', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { maxLength: 4 }), (h, picks) => {
        // Hold some source snapshots and the target's copies of the same GUIDs.
        const heldGuids = new Set(picks.flatMap((i) => (h.source.versions.length > 0 ? [h.source.versions[i % h.source.versions.length]!.guid] : [])));
        const hold = (v: Version): Version => (heldGuids.has(v.guid) ? { ...v, userrefs: 1 } : v);
        const held: History = {
          ...h,
          source: { ...h.source, versions: h.source.versions.map(hold) },
          ...(h.target ? { target: { ...h.target, versions: h.target.versions.map(hold) } } : {}),
        };
        const { plan } = cleanupFor(held);
        const { plan: free } = cleanupFor(h);
        const guids = (vs: readonly Version[]) => vs.map((v) => v.guid).sort();
        for (const v of plan.source) expect(heldGuids.has(v.guid)).toBe(false);
        for (const vs of plan.targets.values()) for (const v of vs) expect(heldGuids.has(v.guid)).toBe(false);
        expect(guids([...plan.source, ...plan.held.source])).toEqual(guids(free.source));
        for (const id of new Set([...free.targets.keys(), ...plan.targets.keys(), ...plan.held.targets.keys()]))
          expect(guids([...(plan.targets.get(id) ?? []), ...(plan.held.targets.get(id) ?? [])])).toEqual(guids(free.targets.get(id) ?? []));
      }),
      RUNS,
    );
  });

  it('cleanup never destroys on the source a snapshot in flight to a target it cannot list', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (h, picks) => {
        const { plan, cursors } = cleanupFor(h, { inFlight: picks });
        const inFlight = new Set(cursors[1]!.inFlight);
        for (const v of plan.source) expect(inFlight.has(v.guid)).toBe(false);
      }),
      RUNS,
    );
  });
});
