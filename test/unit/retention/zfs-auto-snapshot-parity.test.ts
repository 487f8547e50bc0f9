// The operator's zfs-auto-snapshot cron lines against the same schedule in zfailover, slot by slot over a
// month: an operator switches mid-month, and from then on zfailover takes exactly what cron would have fired
// and keeps exactly what zfs-auto-snapshot's `--keep` rule would keep (zfs-auto-snapshot.sh: sort by
// creation, newest first; the new snapshot plus keep-1 older ones survive). The reference model below is
// written from that rule and cron's semantics, not from zfailover's code.
import { describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../../src/core/names.js';
import { dueSchedules } from '../../../src/core/retention/due.js';
import { decidePrune } from '../../../src/core/retention/prune.js';
import { makePolicy } from '../../../src/core/retention/policy.js';
import { formatZfsAutoSnapName, parseRetentionName } from '../../../src/core/retention/snapshot-names.js';
import type { Version } from '../../../src/core/versions.js';
import { wallOf } from '../../../src/core/retention/zone.js';
import { operatorSchedules, Z } from './fixtures.js';

interface CronLine {
  readonly label: string;
  readonly keep: number;
  /** Whether cron fires at this local wall minute (fields of the wall time in the host's zone). */
  readonly fires: (w: Date) => boolean;
}

// /etc/cron.d/zfs-auto-snapshot from operator-setup.md.
const CRON: readonly CronLine[] = [
  { label: 'frequent', keep: 24, fires: (w) => w.getUTCMinutes() % 5 === 0 },
  { label: 'hourly', keep: 24, fires: (w) => w.getUTCMinutes() === 0 },
  { label: 'daily', keep: 14, fires: (w) => w.getUTCHours() === 23 && w.getUTCMinutes() === 59 },
  { label: 'weekly', keep: 4, fires: (w) => w.getUTCDay() === 0 && w.getUTCHours() === 23 && w.getUTCMinutes() === 59 },
  { label: 'monthly', keep: 4, fires: (w) => w.getUTCDate() === 1 && w.getUTCHours() === 0 && w.getUTCMinutes() === 0 },
];

/**
 * Instants at which cron fires each line, minute by minute in the host's zone. Like Debian cron, a fixed-time
 * job runs once when its wall minute repeats (DST fall-back) and wildcard-hour jobs run in both passes.
 */
const firings = (tz: string, from: number, to: number): { t: number; labels: string[] }[] => {
  const out: { t: number; labels: string[] }[] = [];
  const seenFixed = new Set<string>();
  for (let t = from; t < to; t += 60_000) {
    const w = new Date(wallOf(tz, t));
    const labels = CRON.filter((c) => c.fires(w))
      .map((c) => c.label)
      .filter((label) => {
        if (label === 'frequent' || label === 'hourly') return true;
        const key = `${label}@${w.toISOString()}`;
        if (seenFixed.has(key)) return false;
        seenFixed.add(key);
        return true;
      });
    if (labels.length > 0) out.push({ t, labels });
  }
  return out;
};

/** zfs-auto-snapshot -k N: snapshot, then destroy all but the newest N of the label. */
const zasRun = (state: Map<string, number[]>, label: string, keep: number, t: number): void => {
  const list = [t, ...(state.get(label) ?? [])].sort((a, b) => b - a);
  state.set(label, list.slice(0, keep));
};

const policyFor = (tz: string) => makePolicy({ timeZone: tz, schedules: operatorSchedules(), prune: ['zfailover', 'zfs-auto-snap'] });

const simulate = (tz: string, start: string, switchAt: string, end: string) => {
  const policy = policyFor(tz);
  const zas = new Map<string, number[]>();
  let txg = 1;
  let snaps: Version[] = [];
  const mk = (name: string): Version => ({ kind: 'snapshot', dataset: 'tank/data', name, guid: `g${txg}`, createtxg: txg++, creation: 0 });
  const mismatches: string[] = [];
  let compared = 0;
  for (const { t, labels } of firings(tz, Z(start), Z(end))) {
    for (const label of labels) zasRun(zas, label, CRON.find((c) => c.label === label)?.keep as number, t);
    if (t < Z(switchAt)) {
      // Before the switch, zfs-auto-snapshot runs on the real dataset.
      for (const label of labels) snaps.push(mk(formatZfsAutoSnapName(label, t)));
      const gone = new Set(
        labels.flatMap((label) => {
          const mine = snaps.filter((s) => parseRetentionName(s.name, { sanoidTimeZone: 'UTC' })?.label === label);
          return mine.sort((a, b) => b.createtxg - a.createtxg).slice(CRON.find((c) => c.label === label)?.keep);
        }),
      );
      snaps = snaps.filter((s) => !gone.has(s));
      continue;
    }
    // After: zfailover snapshot + prune at the same instants.
    const due = dueSchedules(snaps, policy, t).map((d) => d.schedule.label);
    if (due.join() !== labels.join()) mismatches.push(`${new Date(t).toISOString()}: cron fires [${labels}] but due is [${due}]`);
    for (const label of due) snaps.push(mk(formatPeriodicSnapshotName(label, t)));
    const d = decidePrune({ dataset: 'tank/data', side: 'source', snapshots: snaps, policy, peers: [], now: t });
    const gone = new Set(d.destroy);
    snaps = snaps.filter((s) => !gone.has(s));
    // Slot by slot: the instants kept per label are the ones zfs-auto-snapshot keeps.
    for (const c of CRON) {
      const ours = snaps
        .map((s) => parseRetentionName(s.name, { sanoidTimeZone: 'UTC' }))
        .filter((n) => n?.label === c.label)
        .map((n) => n?.time as number)
        .sort((a, b) => b - a);
      compared++;
      if (ours.join() !== (zas.get(c.label) ?? []).join())
        mismatches.push(`${new Date(t).toISOString()} ${c.label}: ${ours.length} kept vs ${zas.get(c.label)?.length}`);
    }
  }
  return { mismatches, compared, snaps };
};

// Each test replays a month minute by minute (~45,000 slots): a few seconds idle, over a minute on a loaded
// 2-core machine. The bound only guards a hang; the simulated clock is the test's own, never the real one.
const MONTH_REPLAY_MS = 400_000;

describe('zfs-auto-snapshot parity over a month', () => {
  test(
    'UTC host: switch on 2026-11-10 12:02, compared at every cron firing until 2026-12-10',
    () => {
      // History from 2026-10-31 so cron has fired every label once (2026-11-01 is a Sunday and a 1st).
      const { mismatches, compared, snaps } = simulate('UTC', '2026-10-31T00:00:00Z', '2026-11-10T12:02:00Z', '2026-12-10T00:00:00Z');
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(40_000);
      // Two monthlies exist (Nov 1 by zfs-auto-snapshot, Dec 1 by zfailover); everything older has aged out.
      const names = snaps.map((s) => parseRetentionName(s.name, { sanoidTimeZone: 'UTC' }));
      expect(snaps).toHaveLength(24 + 24 + 14 + 4 + 2);
      expect(names.filter((n) => n?.family === 'zfs-auto-snap').map((n) => n?.label)).toEqual(['monthly']);
    },
    MONTH_REPLAY_MS,
  );

  test(
    'Europe/Berlin host across the end of DST (2026-10-25): the repeated hour gets its frequents and hourlies, one daily',
    () => {
      const { mismatches, compared } = simulate('Europe/Berlin', '2026-09-30T20:00:00Z', '2026-10-22T09:13:00Z', '2026-11-03T00:00:00Z');
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(15_000);
    },
    MONTH_REPLAY_MS,
  );
});
