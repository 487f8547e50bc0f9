// When schedules are due (idempotent within a slot, catching up missed slots, honouring foreign names) and
// what the gaps evaluation reports: missing slot ranges, over-retention, future-dated names.
import { describe, expect, test } from 'vitest';
import { dueSchedules } from '../../../src/core/retention/due.js';
import { evaluateGaps } from '../../../src/core/retention/gaps.js';
import { makePolicy, withKeep } from '../../../src/core/retention/policy.js';
import { formatSanoidName, formatZfsAutoSnapName } from '../../../src/core/retention/snapshot-names.js';
import { operatorPolicy, own, snap, Z } from './fixtures.js';

const labels = (d: ReturnType<typeof dueSchedules>) => d.map((x) => x.schedule.label);

describe('due schedules', () => {
  test('first run takes every label (catch-up); a second run in the same minute takes nothing', () => {
    const now = Z('2026-11-26T04:31:10Z');
    const first = dueSchedules([], operatorPolicy(), now);
    expect(labels(first)).toEqual(['frequent', 'hourly', 'daily', 'weekly', 'monthly']);
    const taken = first.map((d) => own(d.schedule.label, now));
    expect(dueSchedules(taken, operatorPolicy(), now + 40_000)).toEqual([]);
    // Next frequent slot (04:35) makes only frequent due.
    expect(labels(dueSchedules(taken, operatorPolicy(), Z('2026-11-26T04:35:00Z')))).toEqual(['frequent']);
    expect(labels(dueSchedules(taken, operatorPolicy(), Z('2026-11-26T05:00:00Z')))).toEqual(['frequent', 'hourly']);
    expect(labels(dueSchedules(taken, operatorPolicy(), Z('2026-11-26T23:59:00Z')))).toEqual(['frequent', 'hourly', 'daily']);
  });

  test('a zfs-auto-snapshot or sanoid snapshot already in the slot counts (switching over duplicates nothing)', () => {
    const now = Z('2026-11-26T04:07:00Z');
    const zas = snap(formatZfsAutoSnapName('frequent', Z('2026-11-26T04:05:00Z')));
    const sanoid = snap(formatSanoidName('hourly', Z('2026-11-26T04:00:00Z')));
    const policy = withKeep(operatorPolicy(), { daily: 0, weekly: 0, monthly: 0 });
    expect(labels(dueSchedules([zas, sanoid], policy, now))).toEqual([]);
    expect(labels(dueSchedules([snap(formatSanoidName('frequently', Z('2026-11-26T04:05:30Z')))], policy, now))).toEqual(['hourly']);
  });

  test('keep 0 is never due; a clock stepped back a little does not retake the slot', () => {
    const policy = makePolicy({ schedules: [{ label: 'hourly', period: { kind: 'minutes', every: 60, offset: 0 }, keep: 0, aliases: [] }] });
    expect(dueSchedules([], policy, Z('2026-11-26T04:00:00Z'))).toEqual([]);
    const p2 = withKeep(policy, { hourly: 5 });
    expect(dueSchedules([own('hourly', '2026-11-26T04:10:00Z')], p2, Z('2026-11-26T04:05:00Z'))).toEqual([]);
  });
});

describe('gaps', () => {
  const policy = withKeep(operatorPolicy(), { frequent: 0, daily: 0, weekly: 0, monthly: 0, hourly: 12 });
  const now = Z('2026-11-26T12:10:00Z');
  const hourly = (h: number) => own('hourly', Z('2026-11-26T00:00:00Z') + h * 3600_000 + 20_000);

  test('hourly 03:00-05:00 missing: one range of three slots', () => {
    const snaps = [0, 1, 2, 6, 7, 8, 9, 10, 11, 12].map(hourly);
    const r = evaluateGaps({ snapshots: snaps, policy, now, until: now - 300_000, graceMs: 300_000 });
    expect(r.missing).toEqual([{ label: 'hourly', from: Z('2026-11-26T03:00:00Z'), to: Z('2026-11-26T05:00:00Z'), count: 3 }]);
    expect(r.labels[0]).toMatchObject({ label: 'hourly', expected: 12, present: 9 });
  });

  test('the current slot is not expected within the grace period; history before the first snapshot is no gap', () => {
    const snaps = [8, 9, 10, 11].map(hourly);
    const early = Z('2026-11-26T12:02:00Z');
    const r = evaluateGaps({ snapshots: snaps, policy, now: early, until: early - 300_000, graceMs: 300_000 });
    expect(r.missingSlots).toBe(0);
    expect(r.labels[0]).toMatchObject({ expected: 4, present: 4 });
    const late = evaluateGaps({ snapshots: snaps, policy, now, until: now - 300_000, graceMs: 300_000 });
    expect(late.missing).toEqual([{ label: 'hourly', from: Z('2026-11-26T12:00:00Z'), to: Z('2026-11-26T12:00:00Z'), count: 1 }]);
  });

  test('no snapshot of a label at all: every expected slot is missing', () => {
    const r = evaluateGaps({ snapshots: [], policy, now, until: now, graceMs: 0 });
    expect(r.missingSlots).toBe(12);
  });

  test('over-retention after the grace period, not held or protected ones; future-dated names', () => {
    const snaps = Array.from({ length: 15 }, (_, i) => hourly(i - 2));
    const held = { ...(snaps[1] as (typeof snaps)[number]), userrefs: 1 };
    const all = [snaps[0]!, held, ...snaps.slice(2), own('hourly', '2027-03-01T00:00:00Z')];
    const r = evaluateGaps({ snapshots: all, policy, now, until: now, graceMs: 600_000, protectedGuids: new Set([snaps[2]!.guid]) });
    expect(r.over.map((o) => o.name)).toEqual([snaps[0]!.name]);
    expect(r.future.map((f) => f.label)).toEqual(['hourly']);
  });
});
