// Random replication histories for property tests: a source timeline of sync/foreign snapshots, a target that
// received some of them, then pruning on either side, bookmarks, target-only snapshots, writes, partial receives.
import fc from 'fast-check';
import { planSyncCleanup, type TargetCursor } from '../../../src/core/cleanup.js';
import { newestCommon } from '../../../src/core/common.js';
import { formatSyncSnapshotName, ownsSyncSnapshot } from '../../../src/core/names.js';
import type { PlanOptions, SourceState, TargetState } from '../../../src/core/plan.js';
import type { Version } from '../../../src/core/versions.js';

export interface History {
  source: SourceState;
  target: TargetState | null;
  options: PlanOptions;
}

const JOB = 'job1';
/** The installation under test, and another one replicating the same source under the same job name. */
export const OWNER = { job: JOB, installation: 'host-a-1f2e3d' } as const;
const OTHER_INSTALLATION = 'host-b-9c8b7a';
const T0 = Date.UTC(2026, 10, 1);

/** 0: ours, 1: another job's, 2: foreign, 3: another installation's with our job name, 4: ours from before identities. */
const snapName = (i: number, kind: number): string => {
  const t = T0 + i * 15_000;
  if (kind === 0) return formatSyncSnapshotName(JOB, OWNER.installation, t);
  if (kind === 1) return formatSyncSnapshotName('other', OWNER.installation, t);
  if (kind === 3) return formatSyncSnapshotName(JOB, OTHER_INSTALLATION, t);
  if (kind === 4) return `zfailover-sync_${JOB}_${new Date(t).toISOString().replace(/[-:]/g, '')}`;
  return `zfs-auto-snap_frequent-${i}`;
};

export const historyArb: fc.Arbitrary<History> = fc
  .record({
    n: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: fc.integer({ min: 1, max: 10 }) }),
    kinds: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 10, maxLength: 10 }),
    received: fc.integer({ min: 0, max: 10 }),
    receivedAll: fc.boolean(),
    absent: fc.boolean(),
    targetDrops: fc.array(
      fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
      { minLength: 10, maxLength: 10 },
    ),
    // 0 keep, 1 drop, 2 bookmark only
    sourceDrops: fc.array(fc.constantFrom(0, 0, 0, 1, 2), { minLength: 10, maxLength: 10 }),
    targetOnly: fc.constantFrom(0, 0, 0, 0, 0, 1, 2),
    written: fc.constantFrom(0, 0, 0, 512, null),
    resume: fc.constantFrom('none', 'none', 'next', 'gone'),
    initial: fc.constantFrom<'all' | 'newest'>('all', 'newest'),
    intermediates: fc.boolean(),
    leaveOut: fc.boolean(),
  })
  .map((r) => {
    const full: Version[] = [];
    for (let i = 0; i < r.n; i++) {
      full.push({ kind: 'snapshot', dataset: 'tank/d', name: snapName(i, r.kinds[i]!), guid: `g${i}`, createtxg: 10 + i * 3, creation: T0 / 1000 + i * 15 });
    }
    const k = r.receivedAll ? r.n : Math.min(r.received, r.n);
    let targetVersions: Version[] = full.slice(0, k).map((v, i) => ({ ...v, dataset: 'backup/d', createtxg: 100 + i }));
    targetVersions = targetVersions.filter((_, i) => !r.targetDrops[i]);
    for (let j = 0; j < r.targetOnly; j++) {
      targetVersions.push({ kind: 'snapshot', dataset: 'backup/d', name: `local${j}`, guid: `t${j}`, createtxg: 200 + j, creation: 0 });
    }
    const sourceVersions: Version[] = [];
    full.forEach((v, i) => {
      const drop = i < r.n - 1 ? r.sourceDrops[i]! : 0; // the newest source snapshot always stays
      if (drop === 0) sourceVersions.push(v);
      if (drop === 2) sourceVersions.push({ ...v, kind: 'bookmark', name: `bm${i}` });
    });
    const absent = r.absent && k === 0 && r.targetOnly === 0;
    let resume: TargetState['resume'] = null;
    if (!absent && r.resume !== 'none' && k < r.n && r.targetOnly === 0) {
      resume = { token: '1-tok', toGuid: r.resume === 'next' ? `g${k}` : 'gone' };
    }
    const target: TargetState | null = absent ? null : { versions: targetVersions, written: r.written, resume, role: null, epoch: null };
    return {
      source: { versions: sourceVersions, epoch: null },
      target,
      options: { initial: r.initial, intermediates: r.intermediates, ...(r.leaveOut ? { leaveOut: (v: Version) => ownsSyncSnapshot(OWNER, v.name) } : {}) },
    };
  });

/**
 * Cleanup inputs for a history: one target whose common is known (or forgotten), plus a down target (with the
 * write-ahead record of the source snapshots at the `inFlight` indexes: sent by a run killed before its state write).
 */
export const cleanupFor = (h: History, opts: { forgetFirst?: boolean; inFlight?: readonly number[] } = {}) => {
  const tv = h.target?.versions ?? [];
  const common = h.target ? newestCommon(h.source.versions, tv) : null;
  const cursors: TargetCursor[] = [
    { id: 't1', versions: tv, commonGuid: opts.forgetFirst ? null : (common?.source.guid ?? null) },
    {
      id: 't2',
      versions: null,
      commonGuid: h.source.versions.find((v) => v.kind === 'snapshot')?.guid ?? null,
      ...(opts.inFlight
        ? { inFlight: opts.inFlight.flatMap((i) => (h.source.versions.length > 0 ? [h.source.versions[i % h.source.versions.length]!.guid] : [])) }
        : {}),
    },
  ];
  return { plan: planSyncCleanup(OWNER, h.source.versions, cursors), cursors, owner: OWNER };
};
