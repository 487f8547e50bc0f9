// Snapshot names that carry a label and a time, from the three schedulers an operator may be switching from:
//   zfailover          zfailover_<label>_<YYYYMMDDTHHMMSSZ>      UTC (ours, src/core/names.ts)
//   zfs-auto-snapshot  zfs-auto-snap_<label>-YYYY-MM-DD-HHMM     UTC (`date --utc +%F-%H%M`)
//   sanoid             autosnap_YYYY-MM-DD_HH:MM:SS_<label>      local time of the sanoid host
// Everything else (sync snapshots, manual names) has no retention meaning and is never destroyed by prune.
// Pure.
import { parsePeriodicSnapshotName } from '../names.js';
import { instantsOfWall, offsetAt, MS } from './zone.js';

export type NameFamily = 'zfailover' | 'zfs-auto-snap' | 'sanoid';
export const NAME_FAMILIES: readonly NameFamily[] = ['zfailover', 'zfs-auto-snap', 'sanoid'];

export interface RetentionName {
  readonly family: NameFamily;
  readonly label: string;
  /** The time the name states, ms since the epoch (what slots are computed from; `creation` is not used). */
  readonly time: number;
}

export interface NameContext {
  /** Zone sanoid names are written in (sanoid uses the host's local time). */
  readonly sanoidTimeZone: string;
  /** Creation time (ms), to choose between the two instants of a wall time repeated by a DST fall-back. */
  readonly creation?: number;
}

const ZAS_RE = /^zfs-auto-snap_(.+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})$/;
const SANOID_RE = /^autosnap_(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})_(.+)$/;
const FOREIGN_LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Date.UTC of the fields if they form a real date and time, else null (no silent roll-over of day 31 etc). */
const exactWall = (y: number, mo: number, d: number, h: number, mi: number, s: number): number | null => {
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const x = new Date(t);
  return x.getUTCFullYear() === y &&
    x.getUTCMonth() === mo - 1 &&
    x.getUTCDate() === d &&
    x.getUTCHours() === h &&
    x.getUTCMinutes() === mi &&
    x.getUTCSeconds() === s
    ? t
    : null;
};

/** Label and time of a snapshot's short name (after `@`), or null when the name carries none. */
export const parseRetentionName = (short: string, ctx: NameContext): RetentionName | null => {
  const own = parsePeriodicSnapshotName(short);
  if (own) return { family: 'zfailover', label: own.label, time: own.time };

  const z = ZAS_RE.exec(short);
  if (z) {
    const [, label, y, mo, d, h, mi] = z as unknown as [string, string, string, string, string, string, string];
    const time = exactWall(+y, +mo, +d, +h, +mi, 0);
    return time !== null && FOREIGN_LABEL_RE.test(label) ? { family: 'zfs-auto-snap', label, time } : null;
  }

  const s = SANOID_RE.exec(short);
  if (s) {
    const [, y, mo, d, h, mi, sec, label] = s as unknown as [string, string, string, string, string, string, string, string];
    const wall = exactWall(+y, +mo, +d, +h, +mi, +sec);
    if (wall === null || !FOREIGN_LABEL_RE.test(label)) return null;
    return { family: 'sanoid', label, time: sanoidInstant(ctx, wall) };
  }
  return null;
};

/** Local wall time -> instant; a repeated hour is settled by the creation time, a skipped one moves forward. */
const sanoidInstant = (ctx: NameContext, wall: number): number => {
  const all = instantsOfWall(ctx.sanoidTimeZone, wall);
  if (all.length === 0) return wall - offsetAt(ctx.sanoidTimeZone, wall - MS.DAY);
  if (all.length === 1 || ctx.creation === undefined) return all[0] as number;
  const c = ctx.creation;
  return all.reduce((a, b) => (Math.abs(b - c) < Math.abs(a - c) ? b : a));
};

/** zfs-auto-snapshot's name for a label and time (for tests, migration docs and dry-run comparisons). */
export const formatZfsAutoSnapName = (label: string, time: number): string => {
  const iso = new Date(time).toISOString();
  return `zfs-auto-snap_${label}-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
};

/** sanoid's name for a label and a local wall time (wall ms in the sanoid host's zone). */
export const formatSanoidName = (label: string, wall: number): string => {
  const iso = new Date(wall).toISOString();
  return `autosnap_${iso.slice(0, 10)}_${iso.slice(11, 19)}_${label}`;
};
