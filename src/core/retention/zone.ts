// Wall-clock time in an IANA time zone, both ways, with the DST rules of RFC 5545 / Temporal "compatible":
// a wall time skipped by a spring-forward gap resolves to the instant the old offset would give (it lands after
// the gap); a wall time repeated by a fall-back has two instants. Pure: ECMAScript Intl only, no clock.
//
// "Wall ms" are milliseconds since 1970-01-01T00:00 of the local calendar (Date.UTC of the local fields), so
// calendar arithmetic on them can use the getUTC* accessors.

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatter = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
};

const isUtc = (tz: string): boolean => tz === 'UTC' || tz === 'Etc/UTC';

/** True when Intl knows the zone (`UTC`, `Europe/Berlin`, ...). */
export const isValidTimeZone = (tz: string): boolean => {
  if (tz.trim() === '' || tz !== tz.trim()) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
};

/** Local wall ms of an instant, straight from Intl (about 5 us a call). */
const exactWallOf = (tz: string, instant: number): number => {
  const ms = ((instant % 1000) + 1000) % 1000;
  const fields: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(instant - ms))) fields[p.type] = p.value;
  let year = Number(fields.year);
  if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
  const wall = Date.UTC(year, Number(fields.month) - 1, Number(fields.day), Number(fields.hour), Number(fields.minute), Number(fields.second));
  return wall + ms;
};

// Offsets are constant over 15-minute buckets except where a transition falls inside one; a bucket whose two
// ends agree is cached (no zone has two transitions within 15 minutes), the others are computed exactly.
const BUCKET = 15 * MINUTE;
const bucketCache = new Map<string, Map<number, number | null>>();

const bucketOffset = (tz: string, bucket: number): number | null => {
  let zone = bucketCache.get(tz);
  if (!zone) bucketCache.set(tz, (zone = new Map()));
  let v = zone.get(bucket);
  if (v === undefined) {
    const start = bucket * BUCKET;
    const a = exactWallOf(tz, start) - start;
    const b = exactWallOf(tz, start + BUCKET - 1000) - (start + BUCKET - 1000);
    v = a === b ? a : null;
    if (zone.size > 200_000) zone.clear();
    zone.set(bucket, v);
  }
  return v;
};

/** Local wall ms of an instant; sub-second precision is carried over unchanged. */
export const wallOf = (tz: string, instant: number): number => {
  if (isUtc(tz)) return instant;
  const o = bucketOffset(tz, Math.floor(instant / BUCKET));
  return o === null ? exactWallOf(tz, instant) : instant + o;
};

/** Offset (wall minus instant) in effect at an instant, ms. */
export const offsetAt = (tz: string, instant: number): number => wallOf(tz, instant) - instant;

/**
 * Every instant whose local wall time is exactly `wall`, ascending: one normally, two in a fall-back repeat,
 * none in a spring-forward gap. Offsets are sampled a day either side, which covers every real transition.
 */
export const instantsOfWall = (tz: string, wall: number): number[] => {
  if (isUtc(tz)) return [wall];
  const offsets = new Set([offsetAt(tz, wall - DAY), offsetAt(tz, wall), offsetAt(tz, wall + DAY)]);
  const found = new Set<number>();
  for (const o of offsets) {
    const t = wall - o;
    if (wallOf(tz, t) === wall) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
};

/** The instant of a wall time: the earlier one when repeated; after a gap, what the offset before it gives. */
export const instantOfWall = (tz: string, wall: number): number => {
  const all = instantsOfWall(tz, wall);
  if (all.length > 0) return all[0] as number;
  return wall - offsetAt(tz, wall - DAY);
};

/** All instants a wall time stands for: both passes of a repeated time, the shifted instant of a skipped one. */
export const allInstantsOfWall = (tz: string, wall: number): number[] => {
  const all = instantsOfWall(tz, wall);
  return all.length > 0 ? all : [wall - offsetAt(tz, wall - DAY)];
};

// ---- calendar helpers on wall ms ---------------------------------------------------------------

export const startOfDay = (wall: number): number => Math.floor(wall / DAY) * DAY;

/** ISO weekday of a wall date: 1 = Monday ... 7 = Sunday. */
export const isoWeekday = (wall: number): number => {
  const d = new Date(wall).getUTCDay();
  return d === 0 ? 7 : d;
};

export const daysInMonth = (year: number, month0: number): number => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();

export const wallFrom = (year: number, month0: number, day: number, hour = 0, minute = 0): number => Date.UTC(year, month0, day, hour, minute);

export const MS = { MINUTE, DAY } as const;
