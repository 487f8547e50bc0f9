// Schedules and their slots. A slot is the interval between two consecutive boundaries of a schedule; a
// boundary is an instant whose local wall time (in the policy's zone) is on the schedule. Sub-daily schedules
// keep both passes of a repeated (fall-back) wall time, so "every 5 minutes" stays every 5 minutes; daily and
// coarser ones take the first pass only, so a day never gets two dailies. A boundary skipped by spring-forward
// moves to just after the gap (RFC 5545). Pure.
import { allInstantsOfWall, daysInMonth, instantOfWall, isoWeekday, MS, offsetAt as offsetAtInstant, startOfDay, wallFrom, wallOf } from './zone.js';

export type Period =
  /** Every `every` minutes of the local day (a divisor of 1440), starting `offset` minutes after midnight. */
  | { readonly kind: 'minutes'; readonly every: number; readonly offset: number }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  | { readonly kind: 'weekly'; readonly weekday: number; readonly hour: number; readonly minute: number }
  /** Day of month 1..31, clamped to the month's last day (31 = "last"). */
  | { readonly kind: 'monthly'; readonly day: number; readonly hour: number; readonly minute: number }
  | { readonly kind: 'yearly'; readonly month: number; readonly day: number; readonly hour: number; readonly minute: number };

export interface Schedule {
  /** Label in our names (`zfailover_<label>_<stamp>`), an identifier without `_`. */
  readonly label: string;
  readonly period: Period;
  /** How many slots (newest first) keep a snapshot; 0 = take none and keep none. */
  readonly keep: number;
  /** Labels in foreign names that count as this one (sanoid's `frequently` for `frequent`). */
  readonly aliases: readonly string[];
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The period a well-known label implies (zfs-auto-snapshot and sanoid label names), or null. */
export const defaultPeriod = (label: string): Period | null => {
  switch (label) {
    case 'frequent':
    case 'frequently':
      return { kind: 'minutes', every: 15, offset: 0 };
    case 'hourly':
      return { kind: 'minutes', every: 60, offset: 0 };
    case 'daily':
      return { kind: 'daily', hour: 0, minute: 0 };
    case 'weekly':
      return { kind: 'weekly', weekday: 1, hour: 0, minute: 0 };
    case 'monthly':
      return { kind: 'monthly', day: 1, hour: 0, minute: 0 };
    case 'yearly':
      return { kind: 'yearly', month: 1, day: 1, hour: 0, minute: 0 };
    default:
      return null;
  }
};

/** Foreign label spellings that mean one of ours by default. */
export const defaultAliases = (label: string): string[] => (label === 'frequent' ? ['frequently'] : []);

/** Why a period is impossible, or null. */
export const periodProblem = (p: Period): string | null => {
  const hm = (h: number, m: number): string | null =>
    Number.isInteger(h) && Number.isInteger(m) && h >= 0 && h < 24 && m >= 0 && m < 60 ? null : 'time of day must be 00:00-23:59';
  switch (p.kind) {
    case 'minutes':
      if (!Number.isInteger(p.every) || p.every < 1 || 1440 % p.every !== 0) {
        return 'every must be a whole number of minutes that divides a day (1m, 5m, 15m, 1h, 6h, 1d ...)';
      }
      return Number.isInteger(p.offset) && p.offset >= 0 && p.offset < p.every ? null : 'offset must be below the interval';
    case 'daily':
      return hm(p.hour, p.minute);
    case 'weekly':
      return Number.isInteger(p.weekday) && p.weekday >= 1 && p.weekday <= 7 ? hm(p.hour, p.minute) : 'weekday must be monday..sunday';
    case 'monthly':
      return Number.isInteger(p.day) && p.day >= 1 && p.day <= 31 ? hm(p.hour, p.minute) : 'day must be 1..31 or last';
    case 'yearly':
      if (!Number.isInteger(p.month) || p.month < 1 || p.month > 12) return 'month must be 1..12';
      return Number.isInteger(p.day) && p.day >= 1 && p.day <= 31 ? hm(p.hour, p.minute) : 'day must be 1..31 or last';
  }
};

/** Nominal length in minutes, to rank labels from fine to coarse. */
export const periodMinutes = (p: Period): number =>
  p.kind === 'minutes' ? p.every : p.kind === 'daily' ? 1440 : p.kind === 'weekly' ? 10080 : p.kind === 'monthly' ? 43_830 : 525_960;

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** Boundary wall times near `wall` (one before it, the one at or before it, one after), per calendar kind. */
const calendarWalls = (p: Exclude<Period, { kind: 'minutes' }>, wall: number): number[] => {
  const hm = (p.hour * 60 + p.minute) * MS.MINUTE;
  const d = new Date(wall);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const monthDay = (yy: number, mm: number, day: number): number => {
    const norm = new Date(Date.UTC(yy, mm, 1));
    const ny = norm.getUTCFullYear();
    const nm = norm.getUTCMonth();
    return wallFrom(ny, nm, Math.min(day, daysInMonth(ny, nm))) + hm;
  };
  switch (p.kind) {
    case 'daily': {
      const c = startOfDay(wall) + hm;
      return [c - 2 * MS.DAY, c - MS.DAY, c, c + MS.DAY];
    }
    case 'weekly': {
      const c = startOfDay(wall) - mod(isoWeekday(wall) - p.weekday, 7) * MS.DAY + hm;
      return [c - 14 * MS.DAY, c - 7 * MS.DAY, c, c + 7 * MS.DAY];
    }
    case 'monthly':
      return [-2, -1, 0, 1].map((k) => monthDay(y, m + k, p.day));
    case 'yearly':
      return [-2, -1, 0, 1].map((k) => monthDay(y + k, p.month - 1, p.day));
  }
};

/** Start of the slot that contains instant `t`: the latest boundary at or before it. */
export const slotStart = (p: Period, tz: string, t: number): number => {
  const wall = wallOf(tz, t);
  let best = -Infinity;
  if (p.kind === 'minutes') {
    const n = p.every * MS.MINUTE;
    const c = wall - mod(wall - p.offset * MS.MINUTE, n);
    // After a fall-back of J, wall times up to J ahead of ours already had their first pass: look that far
    // ahead, then back until found (a gap can hide up to a day of boundaries: Pacific/Apia, 2011-12-30).
    const now = wall - t;
    const jump = Math.max(0, offsetAtInstant(tz, t - MS.DAY) - now, offsetAtInstant(tz, t - 3 * 3600_000) - now);
    for (let i = -1 - Math.ceil(jump / n); i <= 1441; i++) {
      for (const inst of allInstantsOfWall(tz, c - i * n)) if (inst <= t && inst > best) best = inst;
      if (best !== -Infinity && i >= 1) break;
    }
  } else {
    for (const w of calendarWalls(p, wall)) {
      const inst = instantOfWall(tz, w);
      if (inst <= t && inst > best) best = inst;
    }
  }
  if (best === -Infinity) throw new RangeError(`no slot boundary found before ${new Date(t).toISOString()}`);
  return best;
};

/** Start of the slot before the one starting at (or containing) `start`. */
export const previousSlotStart = (p: Period, tz: string, start: number): number => slotStart(p, tz, slotStart(p, tz, start) - 1);

/** Start of the slot after the one containing `t` (found by stepping, so it agrees with slotStart exactly). */
export const nextSlotStart = (p: Period, tz: string, t: number): number => {
  const s = slotStart(p, tz, t);
  // A first guess one nominal period ahead, then walk: never skips a boundary because slotStart is monotonic.
  let lo = t;
  let hi = s + Math.max(1, periodMinutes(p) / 2) * MS.MINUTE;
  while (slotStart(p, tz, hi) === s) {
    lo = hi;
    hi += periodMinutes(p) * MS.MINUTE;
  }
  // Binary search for the first instant whose slot differs (boundaries are whole seconds).
  lo = Math.floor(lo / 1000);
  let h = Math.ceil(hi / 1000);
  while (h - lo > 1) {
    const mid = Math.floor((lo + h) / 2);
    if (slotStart(p, tz, mid * 1000) === s) lo = mid;
    else h = mid;
  }
  return h * 1000;
};

const pad = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM` -> {hour, minute}, or null. */
export const parseClock = (text: string): { hour: number; minute: number } | null => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  return hour < 24 && minute < 60 ? { hour, minute } : null;
};

/** `monday`/`mon`/`1`..`7` -> ISO weekday, or null. Sunday is also accepted as 0 (cron). */
export const parseWeekday = (text: string | number): number | null => {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 && text <= 7 ? (text === 0 ? 7 : text) : null;
  const t = text.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t) === 0 ? 7 : Number(t);
  const i = WEEKDAYS.findIndex((d) => d === t || (t.length >= 3 && d.startsWith(t)));
  return i < 0 ? null : i + 1;
};

/** Human form of a period for dry-run output and docs. */
export const describePeriod = (p: Period): string => {
  const at = (h: number, m: number): string => `${pad(h)}:${pad(m)}`;
  switch (p.kind) {
    case 'minutes':
      if (p.every % 60 === 0) return `every ${p.every / 60}h${p.offset ? ` at +${p.offset}m` : ''}`;
      return `every ${p.every}m${p.offset ? ` at +${p.offset}m` : ''}`;
    case 'daily':
      return `daily at ${at(p.hour, p.minute)}`;
    case 'weekly':
      return `weekly on ${WEEKDAYS[p.weekday - 1]} at ${at(p.hour, p.minute)}`;
    case 'monthly':
      return `monthly on day ${p.day === 31 ? 'last' : p.day} at ${at(p.hour, p.minute)}`;
    case 'yearly':
      return `yearly on ${p.month}/${p.day} at ${at(p.hour, p.minute)}`;
  }
};
