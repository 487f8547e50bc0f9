// Matching versions across two sides by GUID: the newest common snapshot (or source bookmark) and what
// each side has after it. Names are never used for matching: a renamed or re-created snapshot is not common.
import { compareVersions, type Version } from './versions.js';

export interface CommonPoint {
  /** The source's version (a snapshot, or a bookmark when the snapshot is gone on the source). */
  readonly source: Version;
  /** The target's snapshot with the same GUID. */
  readonly target: Version;
}

/**
 * Newest target snapshot whose GUID the source has as a snapshot or bookmark. Target bookmarks are ignored
 * (a bookmark cannot be received into). When the source has both a snapshot and a bookmark of the GUID,
 * the snapshot is preferred (it can start an `-I` stream).
 */
export const newestCommon = (source: readonly Version[], target: readonly Version[]): CommonPoint | null => {
  // Fast path, the usual case (a replica in sync or merely behind): the target's newest snapshot is common. One
  // scan of the source finds it, with no map of every source GUID (a check builds one per dataset pair: 1,000s).
  let newest: Version | undefined;
  for (const t of target) if (t.kind === 'snapshot' && (!newest || compareVersions(newest, t) < 0)) newest = t;
  if (!newest) return null;
  let match: Version | undefined;
  for (const v of source) if (v.guid === newest.guid && (!match || (match.kind === 'bookmark' && v.kind === 'snapshot'))) match = v;
  if (match) return { source: match, target: newest };
  const byGuid = new Map<string, Version>();
  for (const v of source) {
    const seen = byGuid.get(v.guid);
    if (!seen || (seen.kind === 'bookmark' && v.kind === 'snapshot')) byGuid.set(v.guid, v);
  }
  let best: CommonPoint | null = null;
  for (const t of target) {
    if (t.kind !== 'snapshot') continue;
    const s = byGuid.get(t.guid);
    if (s && (!best || compareVersions(best.target, t) < 0)) best = { source: s, target: t };
  }
  return best;
};

/** Snapshots of `vs` created after `v` (by createtxg), oldest first. `v` must come from the same side: txgs are per pool. */
export const snapshotsAfter = (vs: readonly Version[], v: Version | null): Version[] =>
  vs.filter((x) => x.kind === 'snapshot' && (v === null || x.createtxg > v.createtxg)).sort(compareVersions);

/** GUID set of a side's snapshots and bookmarks. */
export const guidSet = (vs: readonly Version[]): Set<string> => new Set(vs.map((v) => v.guid));
