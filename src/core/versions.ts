// Snapshot and bookmark versions as the planner sees them: identity by GUID, order by createtxg.
// Pure: no I/O. Listings from the zfs adapter are turned into these.

export type VersionKind = 'snapshot' | 'bookmark';

export interface Version {
  readonly kind: VersionKind;
  /** Dataset the version belongs to, e.g. `tank/data`. */
  readonly dataset: string;
  /** Short name after `@` (snapshot) or `#` (bookmark). */
  readonly name: string;
  /** Exact 64-bit GUID as a decimal string (never the rounded `4.93E` of zfs-fuse's `zfs list`). */
  readonly guid: string;
  /** Transaction group in which the version was created: the only reliable order. */
  readonly createtxg: number;
  /** Creation time, unix seconds. */
  readonly creation: number;
  /** Number of user holds (snapshots only), when the listing knows it. */
  readonly userrefs?: number;
}

/** `pool/ds@snap` or `pool/ds#bookmark`. */
export const fullName = (v: Pick<Version, 'kind' | 'dataset' | 'name'>): string => `${v.dataset}${v.kind === 'snapshot' ? '@' : '#'}${v.name}`;

/** createtxg order; on a tie a bookmark sorts before the snapshot it was made from (zrepl's rule). */
export const compareVersions = (a: Version, b: Version): number => {
  if (a.createtxg !== b.createtxg) return a.createtxg - b.createtxg;
  if (a.kind !== b.kind) return a.kind === 'bookmark' ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

export const sortVersions = (vs: readonly Version[]): Version[] => [...vs].sort(compareVersions);

/** `vs` itself, sorted in place: zfs lists versions in createtxg order already, so this is usually one scan. */
export const sortVersionsInPlace = (vs: Version[]): Version[] => {
  for (let i = 1; i < vs.length; i++) if (compareVersions(vs[i - 1] as Version, vs[i] as Version) > 0) return vs.sort(compareVersions);
  return vs;
};

export const snapshotsOf = (vs: readonly Version[]): Version[] => vs.filter((v) => v.kind === 'snapshot');

export const newestSnapshot = (vs: readonly Version[]): Version | undefined => {
  let best: Version | undefined;
  for (const v of vs) if (v.kind === 'snapshot' && (!best || compareVersions(best, v) < 0)) best = v;
  return best;
};
