// Which of a job's own sync snapshots may go after a cycle, on the source and on each target. Never the newest
// common snapshot of any target, nor one a run started sending to it that no run read back (the write-ahead
// record), never the newest sync snapshot, never a held snapshot, never a name outside this job's sync namespace;
// and on the source nothing at all while some target's common point is unknown. Pure.
import { parseSyncSnapshotName } from './names.js';
import { compareVersions, type Version } from './versions.js';

export interface TargetCursor {
  readonly id: string;
  /** The target's snapshots, or null when the target could not be listed this cycle. */
  readonly versions: readonly Version[] | null;
  /** GUID of the newest snapshot the target shares with the source (from this cycle, or recorded). */
  readonly commonGuid: string | null;
  /**
   * GUIDs a run started sending to an unlisted target and no run read back: a run killed after the receive and
   * before its state write left `commonGuid` behind the target, which may share any of these instead.
   */
  readonly inFlight?: readonly string[];
}

export interface CleanupPlan {
  readonly source: readonly Version[];
  readonly targets: ReadonlyMap<string, readonly Version[]>;
}

const isOwnSync = (job: string) => (v: Version): boolean => v.kind === 'snapshot' && parseSyncSnapshotName(v.name)?.job === job;

export const planSyncCleanup = (job: string, source: readonly Version[], targets: readonly TargetCursor[]): CleanupPlan => {
  const own = source.filter(isOwnSync(job)).sort(compareVersions);
  const keep = new Set<string>();
  const newestOwn = own[own.length - 1];
  if (newestOwn) keep.add(newestOwn.guid);
  let sourceKnown = true;
  for (const t of targets) {
    for (const g of t.inFlight ?? []) keep.add(g);
    if (t.commonGuid === null) {
      // A target with data but no known common point: its base could be any of ours. Destroy nothing on the source.
      if (t.versions === null || t.versions.length > 0) sourceKnown = false;
      continue;
    }
    // Kept even when a cursor bookmark marks the same GUID: the bookmark is the fallback, not a licence.
    keep.add(t.commonGuid);
  }
  const sourceDestroy = sourceKnown ? own.filter((v) => !keep.has(v.guid) && !(v.userrefs && v.userrefs > 0)) : [];

  const targetDestroy = new Map<string, Version[]>();
  for (const t of targets) {
    if (t.versions === null || t.commonGuid === null) continue;
    const common = t.versions.find((v) => v.kind === 'snapshot' && v.guid === t.commonGuid);
    if (!common) continue;
    // Only sync snapshots older than the target's common one: the common one stays, and anything newer is
    // not ours to judge (the planner reports it as a conflict).
    const doomed = t.versions.filter(isOwnSync(job)).filter((v) => compareVersions(v, common) < 0 && !(v.userrefs && v.userrefs > 0));
    if (doomed.length > 0) targetDestroy.set(t.id, doomed);
  }
  return { source: sourceDestroy, targets: targetDestroy };
};
