// Replication lag of one (source, replica) dataset pair, by GUID: how much recent history the replica would lose
// if the source died now. Pure: versions and the clock come in as data (`now` in unix seconds).
import { newestCommon, snapshotsAfter, type CommonPoint } from './common.js';
import { newestSnapshot, type Version } from './versions.js';

export interface LagSource {
  readonly versions: readonly Version[];
  /** Bytes written since the source's newest snapshot; null when the host cannot tell (zfs-fuse). */
  readonly written: number | null;
}

export interface LagTarget {
  readonly versions: readonly Version[];
}

export interface Lag {
  /** Newest replica snapshot whose GUID the source still has (snapshot or bookmark); null = none. */
  readonly common: CommonPoint | null;
  /**
   * Seconds of source history missing on the replica: 0 when the replica has the source's newest snapshot and
   * nothing was written since; otherwise the age of the common snapshot. null when there is no common snapshot.
   */
  readonly rpo: number | null;
  /** True when rpo is 0 because the source is known unchanged since the common snapshot. */
  readonly current: boolean;
  /** Source snapshots newer than the common one (what the next sync sends). */
  readonly behind: readonly Version[];
  /** Age of the latest-created replica snapshot: a lower bound of the lag that needs no source listing. */
  readonly replicaAge: number | null;
  readonly sourceNewest: Version | null;
}

/**
 * The lag is measured from the newest *common* GUID, never the newest name: a replica snapshot that was renamed,
 * re-created or only exists on the replica does not count as replicated data.
 */
export const computeLag = (source: LagSource, target: LagTarget, now: number): Lag => {
  const common = newestCommon(source.versions, target.versions);
  const sourceNewest = newestSnapshot(source.versions) ?? null;
  const replicaAge = replicaLowerBound(target.versions, now);
  if (!common) return { common, rpo: null, current: false, behind: [], replicaAge, sourceNewest };
  const behind = snapshotsAfter(source.versions, common.source);
  const current = behind.length === 0 && common.source.kind === 'snapshot' && source.written === 0;
  // Creation travels in the stream, so the replica's copy carries the source's creation time.
  const rpo = current ? 0 : age(common.target.creation, now);
  return { common, rpo, current, behind, replicaAge, sourceNewest };
};

/**
 * Age of the most recently created replica snapshot: the replica cannot be fresher than that, whatever the
 * source says. By creation, not txg: a received snapshot keeps the source's creation time, so on the replica
 * the newest txg may carry an older creation.
 */
export const replicaLowerBound = (versions: readonly Version[], now: number): number | null => {
  let latest: number | null = null;
  for (const v of versions) if (v.kind === 'snapshot' && (latest === null || v.creation > latest)) latest = v.creation;
  return latest === null ? null : age(latest, now);
};

/** A snapshot from the future (clock skew between hosts) counts as age 0, not negative. */
const age = (creation: number, now: number): number => Math.max(0, now - creation);
