// Which of a job's own sync snapshots may go after a cycle, on the source and on each target. Never the newest
// common snapshot of any target, nor one a run started sending to it that no run read back (the write-ahead
// record), never the newest sync snapshot, never a held snapshot, never a name outside this job's sync namespace
// of this installation (core/names.ts `Owner`; its pre-identity names count as its own, which retires them after
// an upgrade); and on the source nothing at all while some target's common point is unknown. On a target,
// besides: another installation's sync snapshots that our stream carried along (an `-I` range includes them),
// once their owner has destroyed them on the source. Pure.
import { isSyncSnapshotName, ownsSyncSnapshot, type Owner } from './names.js';
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
  /** Superseded sync snapshots kept only because somebody holds them (`zfs holds`): said, so a pile-up has a reason. */
  readonly held: { readonly source: readonly Version[]; readonly targets: ReadonlyMap<string, readonly Version[]> };
}

const isHeld = (v: Version): boolean => (v.userrefs ?? 0) > 0;

const isOwnSync =
  (owner: Owner) =>
  (v: Version): boolean =>
    v.kind === 'snapshot' && ownsSyncSnapshot(owner, v.name);

export const planSyncCleanup = (owner: Owner, source: readonly Version[], targets: readonly TargetCursor[]): CleanupPlan => {
  const own = source.filter(isOwnSync(owner)).sort(compareVersions);
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
  const superseded = sourceKnown ? own.filter((v) => !keep.has(v.guid)) : [];
  const sourceDestroy = superseded.filter((v) => !isHeld(v));

  const heldTargets = new Map<string, Version[]>();
  const targetDestroy = new Map<string, Version[]>();
  for (const t of targets) {
    if (t.versions === null || t.commonGuid === null) continue;
    const common = t.versions.find((v) => v.kind === 'snapshot' && v.guid === t.commonGuid);
    if (!common) continue;
    // Only sync snapshots older than the target's common one: the common one stays, and anything newer is
    // not ours to judge (the planner reports it as a conflict). Another installation's only once it is gone
    // from the source (its owner retired it there and never looks at our target): else it piles up here.
    const onSource = new Set(source.map((v) => v.guid));
    const mine = isOwnSync(owner);
    const older = t.versions.filter(
      (v) => v.kind === 'snapshot' && (mine(v) || (isSyncSnapshotName(v.name) && !onSource.has(v.guid))) && compareVersions(v, common) < 0,
    );
    const doomed = older.filter((v) => !isHeld(v));
    if (doomed.length > 0) targetDestroy.set(t.id, doomed);
    if (doomed.length < older.length) heldTargets.set(t.id, older.filter(isHeld));
  }
  return { source: sourceDestroy, targets: targetDestroy, held: { source: superseded.filter(isHeld), targets: heldTargets } };
};
