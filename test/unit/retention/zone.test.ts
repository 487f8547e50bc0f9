// Time-zone arithmetic against known DST transitions and as properties over random instants and zones.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { allInstantsOfWall, instantOfWall, instantsOfWall, isValidTimeZone, offsetAt, wallOf } from '../../../src/core/retention/zone.js';

const Z = (iso: string): number => Date.parse(iso);
const W = (iso: string): number => Date.parse(`${iso}Z`); // wall time written without zone

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Apia',
  'America/Sao_Paulo',
  'Pacific/Chatham',
];

describe('zone', () => {
  test('names: IANA zones are valid, junk is not', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Base')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone(' UTC')).toBe(false);
  });

  test('Berlin: offsets in winter and summer', () => {
    expect(offsetAt('Europe/Berlin', Z('2026-01-15T12:00:00Z'))).toBe(3600_000);
    expect(offsetAt('Europe/Berlin', Z('2026-07-15T12:00:00Z'))).toBe(7200_000);
    expect(wallOf('Europe/Berlin', Z('2026-11-26T04:29:07.250Z'))).toBe(W('2026-11-26T05:29:07.250'));
  });

  test('spring forward: 02:30 does not exist in Berlin on 2026-03-29 and resolves after the gap', () => {
    expect(instantsOfWall('Europe/Berlin', W('2026-03-29T02:30:00'))).toEqual([]);
    // RFC 5545: the offset before the gap (+1) applies, which lands at 03:30 CEST = 01:30Z.
    expect(instantOfWall('Europe/Berlin', W('2026-03-29T02:30:00'))).toBe(Z('2026-03-29T01:30:00Z'));
    expect(allInstantsOfWall('Europe/Berlin', W('2026-03-29T02:00:00'))).toEqual([Z('2026-03-29T01:00:00Z')]);
  });

  test('fall back: 02:30 happens twice in Berlin on 2026-10-25', () => {
    expect(instantsOfWall('Europe/Berlin', W('2026-10-25T02:30:00'))).toEqual([Z('2026-10-25T00:30:00Z'), Z('2026-10-25T01:30:00Z')]);
    expect(instantOfWall('Europe/Berlin', W('2026-10-25T02:30:00'))).toBe(Z('2026-10-25T00:30:00Z'));
  });

  test('half-hour DST (Lord Howe) and a skipped day (Apia, 2011-12-30)', () => {
    // Lord Howe moves from +10:30 to +11 at 02:00 local on the first Sunday of October.
    expect(instantsOfWall('Australia/Lord_Howe', W('2026-10-04T02:15:00'))).toEqual([]);
    expect(instantsOfWall('Pacific/Apia', W('2011-12-30T12:00:00'))).toEqual([]);
    expect(allInstantsOfWall('Pacific/Apia', W('2011-12-30T12:00:00'))).toHaveLength(1);
  });

  test.prop([fc.constantFrom(...ZONES), fc.integer({ min: Z('1990-01-01T00:00:00Z') / 1000, max: Z('2060-01-01T00:00:00Z') / 1000 })])(
    'every instant is among the instants of its own wall time',
    (tz, sec) => {
      const t = sec * 1000;
      expect(instantsOfWall(tz, wallOf(tz, t))).toContain(t);
      expect(instantOfWall(tz, wallOf(tz, t))).toBeLessThanOrEqual(t);
    },
  );

  test.prop([fc.constantFrom(...ZONES), fc.integer({ min: Z('1990-01-01T00:00:00Z') / 60000, max: Z('2060-01-01T00:00:00Z') / 60000 })])(
    'every wall minute maps to instants that show that wall time, or (in a gap) to one instant after it',
    (tz, min) => {
      const wall = min * 60000;
      const all = instantsOfWall(tz, wall);
      for (const t of all) expect(wallOf(tz, t)).toBe(wall);
      if (all.length === 0) expect(wallOf(tz, instantOfWall(tz, wall))).toBeGreaterThan(wall);
      expect(all.length).toBeLessThanOrEqual(2);
    },
  );
});
