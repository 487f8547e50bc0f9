// Every name zfailover owns inside ZFS, each with one builder and one parser (they round-trip).
// Nothing outside these namespaces is ever destroyed, released or overwritten by the tool.
//
//   sync snapshot    <ds>@zfailover-sync_<job>_<inst>_<stamp>           taken by `sync`, pruned by `sync`
//   periodic snap    <ds>@zfailover_<label>_<stamp>                     taken by `snapshot`, pruned by `prune`
//   cursor bookmark  <ds>#zfailover-cursor_<job>_<inst>_<target>_<guid> on the source: what <target> has
//   hold tag         zfailover_<job>_<inst>_<target>                    on the target's newest common snapshot
// <inst> is the installation identity (state/installation.ts): two installations that replicate one source
// under the same job name never take each other's names for their own. Names from before it existed
// (`<job>_<stamp>`, `<job>_<target>_<guid>`, `<job>_<target>`) still parse, with `installation: null`: the
// job that matches adopts them as its own and retires them (the upgrade path, no full resend).
//   user properties  zfailover:role, zfailover:epoch, zfailover:promoted, zfailover:diverged (set locally, never sent)

export const OWNED_PREFIX = 'zfailover';
export const SYNC_PREFIX = 'zfailover-sync_';
export const PERIODIC_PREFIX = 'zfailover_';
export const CURSOR_PREFIX = 'zfailover-cursor_';
export const HOLD_PREFIX = 'zfailover_';

export const PROP_ROLE = 'zfailover:role';
export const PROP_EPOCH = 'zfailover:epoch';
export const PROP_PROMOTED = 'zfailover:promoted';
/** Properties that describe one host's view and must never travel in a stream (`recv -x`). */
export const LOCAL_ONLY_PROPERTIES = [PROP_ROLE, PROP_EPOCH, PROP_PROMOTED] as const;

/** Job, target and label identifiers: no `_` (the field separator), no `@#/` (ZFS separators). */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,47}$/;
export const isValidId = (s: string): boolean => ID_RE.test(s);

/** Names in any of our namespaces; everything else belongs to someone else. */
export const isOwnedName = (shortName: string): boolean =>
  shortName.startsWith(SYNC_PREFIX) || shortName.startsWith(PERIODIC_PREFIX) || shortName.startsWith(CURSOR_PREFIX);

// ---- time stamps -------------------------------------------------------------------------------

export type StampPrecision = 'ms' | 's' | 'min';
const STAMP_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(?:\.(\d{3}))?Z$/;

/** UTC stamp that sorts lexically in time order: 20261126T042900.123Z, 20261126T042900Z, 20261126T0429Z. */
export const formatStamp = (ms: number, precision: StampPrecision): string => {
  const iso = new Date(ms).toISOString(); // 2026-11-26T04:29:00.123Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const hm = iso.slice(11, 13) + iso.slice(14, 16);
  if (precision === 'min') return `${date}T${hm}Z`;
  const s = iso.slice(17, 19);
  return precision === 's' ? `${date}T${hm}${s}Z` : `${date}T${hm}${s}.${iso.slice(20, 23)}Z`;
};

/** Milliseconds since the epoch, or null when the text is not one of our stamps. */
export const parseStamp = (text: string): number | null => {
  const m = STAMP_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), Number(ms ?? 0));
  // Reject impossible dates that Date.UTC would silently roll over (e.g. month 13).
  return formatStamp(t, ms !== undefined ? 'ms' : s !== undefined ? 's' : 'min') === text ? t : null;
};

// ---- sync snapshots ----------------------------------------------------------------------------

export interface SyncSnapshotName {
  readonly job: string;
  /** The installation that took it; null for a name from before installation identities (legacy). */
  readonly installation: string | null;
  readonly time: number;
}

export const formatSyncSnapshotName = (job: string, installation: string, timeMs: number): string => {
  if (!isValidId(job)) throw new RangeError(`invalid job name: ${job}`);
  if (!isValidId(installation)) throw new RangeError(`invalid installation identity: ${installation}`);
  return `${SYNC_PREFIX}${job}_${installation}_${formatStamp(timeMs, 'ms')}`;
};

export const parseSyncSnapshotName = (name: string): SyncSnapshotName | null => {
  if (!name.startsWith(SYNC_PREFIX)) return null;
  const parts = name.slice(SYNC_PREFIX.length).split('_');
  if (parts.length !== 2 && parts.length !== 3) return null;
  const job = parts[0]!;
  const installation = parts.length === 3 ? parts[1]! : null;
  const time = parseStamp(parts[parts.length - 1]!);
  return isValidId(job) && (installation === null || isValidId(installation)) && time !== null ? { job, installation, time } : null;
};

// ---- ownership: whose names a cleanup may touch --------------------------------------------------

/** One job of one installation: the namespace its sync, cursor and hold names live in. */
export interface Owner {
  readonly job: string;
  /** Null while the installation has no identity yet (a check before the first sync): only legacy names match. */
  readonly installation: string | null;
}

const ownedField = (owner: Owner, job: string, installation: string | null): boolean =>
  job === owner.job && (installation === null || installation === owner.installation);

/** A sync snapshot of this job taken by this installation, or by this job before identities existed. */
export const ownsSyncSnapshot = (owner: Owner, name: string): boolean => {
  const p = parseSyncSnapshotName(name);
  return p !== null && ownedField(owner, p.job, p.installation);
};

/** Any installation's sync snapshot (this one's, another's, a legacy one). */
export const isSyncSnapshotName = (name: string): boolean => parseSyncSnapshotName(name) !== null;

// ---- periodic snapshots ------------------------------------------------------------------------

export interface PeriodicSnapshotName {
  readonly label: string;
  readonly time: number;
}

export const formatPeriodicSnapshotName = (label: string, timeMs: number): string => {
  if (!isValidId(label)) throw new RangeError(`invalid snapshot label: ${label}`);
  return `${PERIODIC_PREFIX}${label}_${formatStamp(timeMs, 's')}`;
};

export const parsePeriodicSnapshotName = (name: string): PeriodicSnapshotName | null => {
  if (!name.startsWith(PERIODIC_PREFIX)) return null;
  const parts = name.slice(PERIODIC_PREFIX.length).split('_');
  if (parts.length !== 2) return null;
  const [label, stamp] = parts as [string, string];
  const time = parseStamp(stamp);
  return isValidId(label) && time !== null ? { label, time } : null;
};

// ---- replication cursor bookmarks and holds ----------------------------------------------------

export interface CursorName {
  readonly job: string;
  /** Null for a legacy name (`<job>_<target>_<guid>`). */
  readonly installation: string | null;
  readonly target: string;
  readonly guid: string;
}

const GUID_RE = /^\d{1,20}$/;

export const formatCursorBookmarkName = (job: string, installation: string, target: string, guid: string): string => {
  if (!isValidId(job) || !isValidId(installation) || !isValidId(target))
    throw new RangeError(`invalid job/installation/target: ${job}/${installation}/${target}`);
  if (!GUID_RE.test(guid)) throw new RangeError(`invalid guid: ${guid}`);
  return `${CURSOR_PREFIX}${job}_${installation}_${target}_${guid}`;
};

export const parseCursorBookmarkName = (name: string): CursorName | null => {
  if (!name.startsWith(CURSOR_PREFIX)) return null;
  const parts = name.slice(CURSOR_PREFIX.length).split('_');
  if (parts.length !== 3 && parts.length !== 4) return null;
  const [job, installation, target, guid] = (parts.length === 4 ? parts : [parts[0], null, parts[1], parts[2]]) as [string, string | null, string, string];
  return isValidId(job) && (installation === null || isValidId(installation)) && isValidId(target) && GUID_RE.test(guid)
    ? { job, installation, target, guid }
    : null;
};

/** The cursor of this job and target kept by this installation (or its legacy name), else null. */
export const ownCursor = (owner: Owner, target: string, name: string): CursorName | null => {
  const c = parseCursorBookmarkName(name);
  return c !== null && c.target === target && ownedField(owner, c.job, c.installation) ? c : null;
};

export interface HoldTag {
  readonly job: string;
  /** Null for a legacy tag (`zfailover_<job>_<target>`). */
  readonly installation: string | null;
  readonly target: string;
}

export const formatHoldTag = (job: string, installation: string, target: string): string => {
  if (!isValidId(job) || !isValidId(installation) || !isValidId(target))
    throw new RangeError(`invalid job/installation/target: ${job}/${installation}/${target}`);
  return `${HOLD_PREFIX}${job}_${installation}_${target}`;
};

/** The tag this job put on a target before installation identities: released by the upgraded job. */
export const formatLegacyHoldTag = (job: string, target: string): string => {
  if (!isValidId(job) || !isValidId(target)) throw new RangeError(`invalid job/target: ${job}/${target}`);
  return `${HOLD_PREFIX}${job}_${target}`;
};

export const parseHoldTag = (tag: string): HoldTag | null => {
  if (!tag.startsWith(HOLD_PREFIX)) return null;
  const parts = tag.slice(HOLD_PREFIX.length).split('_');
  if (parts.length !== 2 && parts.length !== 3) return null;
  const [job, installation, target] = (parts.length === 3 ? parts : [parts[0], null, parts[1]]) as [string, string | null, string];
  return isValidId(job) && (installation === null || isValidId(installation)) && isValidId(target) ? { job, installation, target } : null;
};

// ---- failover: promotion point and diverged writes kept aside ---------------------------------
//
//   zfailover:promoted  <epoch>,<snapshot>,<guid>,<unix s>  on each promoted dataset: where its history split
//   zfailover:diverged  <epoch>,<snapshot>,<guid>,<unix s>  on a dataset set aside by demote: the new primary's
//                                                          epoch and the common snapshot it diverged from
//   diverged snapshot   <ds>@zfailover-diverged_<epoch>_<stamp>  the old primary's last writes, taken by demote
//   aside dataset       <ds>.zfailover-diverged-e<epoch>-<stamp> the old primary's tree, kept readable
// Snapshot names cannot contain ',' (zfs naming rules), so the property fields split unambiguously.

export const PROP_DIVERGED = 'zfailover:diverged';
/**
 * `zfailover:rebuilt` = `<guid>` on a zvol demote re-created as a clone of the common snapshot of that GUID. OpenZFS
 * counts the clone's reset intent-log header as 8 KiB `written` although no block of the disk changed, and
 * `zfs receive` (which ignores such a header) takes the next increment into it. While the zvol is still at that
 * snapshot its `written` is therefore no evidence of writes, and reads as unknown (as on zfs-fuse): the receive,
 * never run with -F, stays the judge of real ones.
 */
export const PROP_REBUILT = 'zfailover:rebuilt';
export const DIVERGED_SNAPSHOT_PREFIX = 'zfailover-diverged_';
export const DIVERGED_DATASET_MARK = '.zfailover-diverged-e';

export interface PromotionPoint {
  readonly epoch: number;
  /** Short name of the snapshot (after `@`). */
  readonly snapshot: string;
  /** Exact decimal GUID of that snapshot. */
  readonly guid: string;
  /** Unix seconds. */
  readonly time: number;
}

const SNAP_SHORT_RE = /^[A-Za-z0-9_\-:. ]+$/;
const isEpoch = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

export const formatPromotionPoint = (p: PromotionPoint): string => {
  if (!isEpoch(p.epoch)) throw new RangeError(`invalid epoch: ${p.epoch}`);
  if (!SNAP_SHORT_RE.test(p.snapshot)) throw new RangeError(`invalid snapshot name: ${p.snapshot}`);
  if (!/^\d{1,20}$/.test(p.guid)) throw new RangeError(`invalid guid: ${p.guid}`);
  if (!isEpoch(p.time)) throw new RangeError(`invalid time: ${p.time}`);
  return `${p.epoch},${p.snapshot},${p.guid},${p.time}`;
};

/** The value of `zfailover:promoted` / `zfailover:diverged`, or null when it is not one (`-`, garbage). */
export const parsePromotionPoint = (text: string): PromotionPoint | null => {
  const parts = text.split(',');
  if (parts.length !== 4) return null;
  const [e, snapshot, guid, t] = parts as [string, string, string, string];
  if (!/^\d{1,15}$/.test(e) || !/^\d{1,15}$/.test(t) || !/^\d{1,20}$/.test(guid) || !SNAP_SHORT_RE.test(snapshot)) return null;
  return { epoch: Number(e), snapshot, guid, time: Number(t) };
};

export interface DivergedSnapshotName {
  readonly epoch: number;
  readonly time: number;
}

export const formatDivergedSnapshotName = (epoch: number, timeMs: number): string => {
  if (!isEpoch(epoch)) throw new RangeError(`invalid epoch: ${epoch}`);
  return `${DIVERGED_SNAPSHOT_PREFIX}${epoch}_${formatStamp(timeMs, 's')}`;
};

export const parseDivergedSnapshotName = (name: string): DivergedSnapshotName | null => {
  if (!name.startsWith(DIVERGED_SNAPSHOT_PREFIX)) return null;
  const parts = name.slice(DIVERGED_SNAPSHOT_PREFIX.length).split('_');
  if (parts.length !== 2) return null;
  const [e, stamp] = parts as [string, string];
  const time = parseStamp(stamp);
  return /^\d{1,15}$/.test(e) && time !== null ? { epoch: Number(e), time } : null;
};

export interface DivergedDatasetName {
  /** The dataset that was set aside (its name before). */
  readonly dataset: string;
  readonly epoch: number;
  readonly time: number;
}

/** A sibling of `dataset` (same parent, so it stays on the same pool and under the same mountpoint root). */
export const formatDivergedDatasetName = (dataset: string, epoch: number, timeMs: number): string => {
  if (!isEpoch(epoch)) throw new RangeError(`invalid epoch: ${epoch}`);
  if (!dataset.includes('/')) throw new RangeError(`a pool's root dataset cannot be set aside: ${dataset}`);
  return `${dataset}${DIVERGED_DATASET_MARK}${epoch}-${formatStamp(timeMs, 's')}`;
};

export const parseDivergedDatasetName = (name: string): DivergedDatasetName | null => {
  const i = name.lastIndexOf(DIVERGED_DATASET_MARK);
  if (i <= 0 || name.slice(i).includes('/')) return null;
  const m = /^(\d{1,15})-(.+)$/.exec(name.slice(i + DIVERGED_DATASET_MARK.length));
  if (!m) return null;
  const time = parseStamp(m[2] as string);
  if (time === null || formatStamp(time, 's') !== m[2]) return null;
  return { dataset: name.slice(0, i), epoch: Number(m[1]), time };
};
