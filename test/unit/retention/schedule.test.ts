// Slots of schedules: examples at DST transitions and month ends, and properties over random periods/zones.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  describePeriod,
  nextSlotStart,
  parseClock,
  parseWeekday,
  periodProblem,
  previousSlotStart,
  slotStart,
  type Period,
} from '../../../src/core/retention/schedule.js';

const Z = (iso: string): number => Date.parse(iso);

const slotsBetween = (p: Period, tz: string, from: number, to: number): number[] => {
  const out: number[] = [];
  for (let s = nextSlotStart(p, tz, from - 1); s < to; s = nextSlotStart(p, tz, s)) out.push(s);
  return out;
};

const hourly: Period = { kind: 'minutes', every: 60, offset: 0 };
const daily = (hour: number, minute: number): Period => ({ kind: 'daily', hour, minute });

describe('schedule slots', () => {
  test('every 5 minutes in UTC', () => {
    const p: Period = { kind: 'minutes', every: 5, offset: 0 };
    expect(slotStart(p, 'UTC', Z('2026-11-26T04:29:59Z'))).toBe(Z('2026-11-26T04:25:00Z'));
    expect(slotStart(p, 'UTC', Z('2026-11-26T04:30:00Z'))).toBe(Z('2026-11-26T04:30:00Z'));
    expect(nextSlotStart(p, 'UTC', Z('2026-11-26T04:30:00Z'))).toBe(Z('2026-11-26T04:35:00Z'));
    expect(previousSlotStart(p, 'UTC', Z('2026-11-26T04:30:00Z'))).toBe(Z('2026-11-26T04:25:00Z'));
  });

  test('hourly at :15 (offset)', () => {
    const p: Period = { kind: 'minutes', every: 60, offset: 15 };
    expect(slotStart(p, 'UTC', Z('2026-11-26T04:10:00Z'))).toBe(Z('2026-11-26T03:15:00Z'));
    expect(slotStart(p, 'UTC', Z('2026-11-26T04:15:00Z'))).toBe(Z('2026-11-26T04:15:00Z'));
  });

  test('Berlin: 23 hourly slots on the spring-forward day, 25 on the fall-back day, one daily on each', () => {
    const [m0, m1] = [Z('2026-03-29T00:00:00+01:00'), Z('2026-03-30T00:00:00+02:00')];
    expect(slotsBetween(hourly, 'Europe/Berlin', m0, m1)).toHaveLength(23);
    expect(slotsBetween(daily(0, 0), 'Europe/Berlin', m0, m1)).toEqual([m0]);
    const [o0, o1] = [Z('2026-10-25T00:00:00+02:00'), Z('2026-10-26T00:00:00+01:00')];
    expect(slotsBetween(hourly, 'Europe/Berlin', o0, o1)).toHaveLength(25);
    expect(slotsBetween(daily(0, 0), 'Europe/Berlin', o0, o1)).toEqual([o0]);
  });

  test('Berlin: daily at 02:30 on the DST days: after the gap in spring, first pass only in autumn', () => {
    const p = daily(2, 30);
    expect(slotStart(p, 'Europe/Berlin', Z('2026-03-29T12:00:00Z'))).toBe(Z('2026-03-29T01:30:00Z')); // 03:30 CEST
    // 02:40 CET (second pass) is still in the slot that began at 02:30 CEST.
    expect(slotStart(p, 'Europe/Berlin', Z('2026-10-25T01:40:00Z'))).toBe(Z('2026-10-25T00:30:00Z'));
    expect(nextSlotStart(p, 'Europe/Berlin', Z('2026-10-25T00:30:00Z'))).toBe(Z('2026-10-26T01:30:00Z'));
  });

  test('Berlin: every 30 minutes keeps its rhythm through the repeated hour', () => {
    const p: Period = { kind: 'minutes', every: 30, offset: 0 };
    const s = slotsBetween(p, 'Europe/Berlin', Z('2026-10-24T23:00:00Z'), Z('2026-10-25T03:00:00Z'));
    expect(s.map((t) => (t - Z('2026-10-24T23:00:00Z')) / 60000)).toEqual([0, 30, 60, 90, 120, 150, 180, 210]);
  });

  test('weekly on Sunday 23:59 and monthly on the 31st (clamped) and yearly', () => {
    const w: Period = { kind: 'weekly', weekday: 7, hour: 23, minute: 59 };
    expect(slotStart(w, 'UTC', Z('2026-11-26T04:00:00Z'))).toBe(Z('2026-11-22T23:59:00Z'));
    const m: Period = { kind: 'monthly', day: 31, hour: 0, minute: 0 };
    expect(slotStart(m, 'UTC', Z('2026-03-15T00:00:00Z'))).toBe(Z('2026-02-28T00:00:00Z'));
    expect(slotStart(m, 'UTC', Z('2026-03-31T00:00:00Z'))).toBe(Z('2026-03-31T00:00:00Z'));
    const y: Period = { kind: 'yearly', month: 2, day: 29, hour: 12, minute: 0 };
    expect(slotStart(y, 'UTC', Z('2026-03-01T00:00:00Z'))).toBe(Z('2026-02-28T12:00:00Z'));
    expect(slotStart(y, 'UTC', Z('2028-03-01T00:00:00Z'))).toBe(Z('2028-02-29T12:00:00Z'));
  });

  test('parsers and problems', () => {
    expect(parseClock('23:59')).toEqual({ hour: 23, minute: 59 });
    expect(parseClock('24:00')).toBeNull();
    expect(parseWeekday('sun')).toBe(7);
    expect(parseWeekday(0)).toBe(7);
    expect(parseWeekday('funday')).toBeNull();
    expect(periodProblem({ kind: 'minutes', every: 7, offset: 0 })).toMatch(/divides a day/);
    expect(periodProblem({ kind: 'minutes', every: 60, offset: 60 })).toMatch(/offset/);
    expect(describePeriod({ kind: 'weekly', weekday: 7, hour: 23, minute: 59 })).toBe('weekly on sunday at 23:59');
  });

  const periods: fc.Arbitrary<Period> = fc.oneof(
    fc
      .record({ kind: fc.constant('minutes' as const), every: fc.constantFrom(1, 5, 15, 30, 60, 120, 360, 1440), offset: fc.constant(0) })
      .chain((p) => fc.integer({ min: 0, max: p.every - 1 }).map((offset) => ({ ...p, offset }))),
    fc.record({ kind: fc.constant('daily' as const), hour: fc.integer({ min: 0, max: 23 }), minute: fc.integer({ min: 0, max: 59 }) }),
    fc.record({
      kind: fc.constant('weekly' as const),
      weekday: fc.integer({ min: 1, max: 7 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
    }),
    fc.record({
      kind: fc.constant('monthly' as const),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
    }),
    fc.record({
      kind: fc.constant('yearly' as const),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
    }),
  );
  const zones = fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago');
  // Around DST transitions on purpose: March/April and October/November of 2025-2027.
  const instants = fc
    .oneof(
      fc.integer({ min: Z('2025-01-01T00:00:00Z') / 1000, max: Z('2028-01-01T00:00:00Z') / 1000 }),
      fc
        .constantFrom(
          '2026-03-29T01:00:00Z',
          '2026-10-25T01:00:00Z',
          '2026-03-08T07:00:00Z',
          '2026-11-01T06:00:00Z',
          '2026-10-03T15:30:00Z',
          '2026-04-04T15:00:00Z',
        )
        .chain((iso) => fc.integer({ min: -7200, max: 7200 }).map((d) => Z(iso) / 1000 + d)),
    )
    .map((s) => s * 1000);

  test.prop([periods, zones, instants, fc.integer({ min: 0, max: 90 * 86400 })])('slotStart is a monotonic, idempotent floor', (p, tz, t, d) => {
    const s = slotStart(p, tz, t);
    expect(s).toBeLessThanOrEqual(t);
    expect(slotStart(p, tz, s)).toBe(s);
    expect(slotStart(p, tz, t + d * 1000)).toBeGreaterThanOrEqual(s);
  });

  test.prop([periods, zones, instants])('nextSlotStart is the first instant of the following slot', (p, tz, t) => {
    const s = slotStart(p, tz, t);
    const n = nextSlotStart(p, tz, t);
    expect(n).toBeGreaterThan(t);
    expect(slotStart(p, tz, n)).toBe(n);
    expect(slotStart(p, tz, n - 1000)).toBe(s);
    expect(previousSlotStart(p, tz, n)).toBe(s);
  });
});

describe('schedule slots after a half-hour fall-back', () => {
  test('Lord Howe 2026-04-05: at the second 01:30 the slot is the first pass of 01:56', () => {
    const p: Period = { kind: 'minutes', every: 5, offset: 1 };
    expect(slotStart(p, 'Australia/Lord_Howe', Z('2026-04-04T15:00:00Z'))).toBe(Z('2026-04-04T14:56:00Z'));
    expect(nextSlotStart(p, 'Australia/Lord_Howe', Z('2026-04-04T15:00:00Z'))).toBe(Z('2026-04-04T15:01:00Z'));
  });
});
