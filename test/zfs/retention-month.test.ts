// A simulated month on zfs-fuse with the clock passed in: every cycle runs `zfailover snapshot`, a replication
// (plain send/recv) and `zfailover prune`; at the end each side holds exactly, per label, the newest `keep`
// occupied slots of its own policy, and `check gaps` finds every expected slot on both sides. The expected sets
// come from a reference model written with plain UTC arithmetic, not from the retention code.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { zfsFuseUnavailableReason } from '../helpers/zfs-fuse.js';
import { createLab, replicate, snapshotNames, zfs, type RetentionLab } from './retention-harness.js';

const reason = zfsFuseUnavailableReason();
const H = 3600_000;
const D = 24 * H;
const Z = (s: string): number => Date.parse(s);

const CONFIG = `
templates:
  operator:
    schedules:
      frequent: {every: 5m, keep: 24}
      hourly: 24
      daily: {keep: 14, at: "23:59"}
      weekly: {keep: 4, on: sunday, at: "23:59"}
      monthly: {keep: 4, day: 1, at: "00:00"}
snapshots:
  - dataset: SRC/data
    recursive: true
    use: operator
jobs:
  data:
    source: SRC/data
    recursive: true
    targets:
      - name: backup
        dataset: DST/data
        keep: {frequent: 12, hourly: 48, daily: 30, weekly: 8, monthly: 12}
`;

/**
 * Cycle times: every 6 h for most of November, hourly for its last two days, every 5 min for the last 2 h 10 min, and
 * 23:59 daily (zfs-fuse takes about a second per cycle here, so the month is sampled, not run every 15 s).
 */
const cycles = (): number[] => {
  const set = new Set<number>();
  for (let t = Z('2026-11-01T00:00:00Z'); t < Z('2026-11-29T00:00:00Z'); t += 6 * H) set.add(t);
  for (let t = Z('2026-11-29T00:00:00Z'); t < Z('2026-11-30T22:00:00Z'); t += H) set.add(t);
  for (let t = Z('2026-11-30T21:50:00Z'); t < Z('2026-12-01T00:00:00Z'); t += 5 * 60_000) set.add(t);
  for (let t = Z('2026-11-01T23:59:00Z'); t < Z('2026-12-01T00:00:00Z'); t += D) set.add(t);
  set.add(Z('2026-12-01T00:00:00Z'));
  return [...set].sort((a, b) => a - b);
};

// Reference slots in UTC: a label is taken at a cycle when its slot differs from the previous cycle's.
const SUNDAY_2359 = Z('2026-11-01T23:59:00Z');
const slotOf: Record<string, (t: number) => number> = {
  frequent: (t) => Math.floor(t / 300_000),
  hourly: (t) => Math.floor(t / H),
  daily: (t) => Math.floor((t - 23 * H - 59 * 60_000) / D),
  weekly: (t) => Math.floor((t - SUNDAY_2359) / (7 * D)),
  monthly: (t) => new Date(t).getUTCFullYear() * 12 + new Date(t).getUTCMonth(),
};

const expectedNames = (times: readonly number[], keep: Record<string, number>): string[] => {
  const names: string[] = [];
  for (const [label, slot] of Object.entries(slotOf)) {
    const taken: number[] = [];
    let last: number | null = null;
    for (const t of times) {
      if (slot(t) !== last) taken.push(t);
      last = slot(t);
    }
    names.push(...taken.slice(-(keep[label] as number)).map((t) => formatPeriodicSnapshotName(label, t)));
  }
  return names.sort();
};

describe.skipIf(reason)(`zfs-fuse: a month of snapshot/replicate/prune cycles${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let lab: RetentionLab;
  const times = cycles();

  beforeAll(async () => {
    lab = await createLab('h5m');
    await zfs('create', `${lab.src.name}/data`);
    await zfs('create', `${lab.src.name}/data/child`);
    lab.writeConfig(CONFIG);
  });
  afterAll(async () => lab?.destroy());

  test(`${times.length} cycles end with exactly each side's kept set, and no gaps`, async () => {
    const started = Date.now();
    for (const t of times) {
      const snap = await lab.run(['snapshot'], t);
      expect(snap.code, snap.out).toBe(0);
      await replicate(`${lab.src.name}/data`, `${lab.dst.name}/data`, ['', 'child']);
      const prune = await lab.run(['prune'], t);
      expect(prune.code, `${new Date(t).toISOString()}: ${prune.out}`).toBe(0);
    }
    const source = expectedNames(times, { frequent: 24, hourly: 24, daily: 14, weekly: 4, monthly: 4 });
    const replica = expectedNames(times, { frequent: 12, hourly: 48, daily: 30, weekly: 8, monthly: 12 });
    for (const ds of ['data', 'data/child']) {
      expect((await snapshotNames(`${lab.src.name}/${ds}`)).sort()).toEqual(source);
      expect((await snapshotNames(`${lab.dst.name}/${ds}`)).sort()).toEqual(replica);
    }
    const last = times[times.length - 1] as number;
    const gaps = await lab.run(['check', 'gaps'], last);
    expect(gaps.line).toMatch(/^OK: all 4 datasets hold their \d+ expected slots \| missing=0;0;;0 over=0;;;0 future=0;;;0/);
    expect(gaps.code).toBe(0);
    // Per-cycle cost on this machine, for the notes (not asserted: speed belongs in bench/).
    console.log(`retention month: ${times.length} cycles in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 1_800_000);
});
