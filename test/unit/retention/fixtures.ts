// Builders for retention tests: snapshots as the zfs adapter would list them, and the operator's policy.
import type { Version } from '../../../src/core/versions.js';
import { formatPeriodicSnapshotName } from '../../../src/core/names.js';
import { makePolicy, type Policy } from '../../../src/core/retention/policy.js';
import type { Schedule } from '../../../src/core/retention/schedule.js';

export const Z = (iso: string): number => Date.parse(iso);

let txg = 1000;
export const snap = (name: string, opts: { txg?: number; guid?: string; userrefs?: number; creation?: number; dataset?: string } = {}): Version => {
  const t = opts.txg ?? ++txg;
  return {
    kind: 'snapshot',
    dataset: opts.dataset ?? 'tank/data',
    name,
    guid: opts.guid ?? `g-${name}`,
    createtxg: t,
    creation: opts.creation ?? 1_795_000_000 + t,
    ...(opts.userrefs !== undefined ? { userrefs: opts.userrefs } : {}),
  };
};

export const own = (label: string, iso: string | number, opts: Parameters<typeof snap>[1] = {}): Version =>
  snap(formatPeriodicSnapshotName(label, typeof iso === 'number' ? iso : Z(iso)), opts);

/** The operator's zfs-auto-snapshot cron schedule (operator-setup.md) as schedules. */
export const operatorSchedules = (): Schedule[] => [
  { label: 'frequent', period: { kind: 'minutes', every: 5, offset: 0 }, keep: 24, aliases: ['frequently'] },
  { label: 'hourly', period: { kind: 'minutes', every: 60, offset: 0 }, keep: 24, aliases: [] },
  { label: 'daily', period: { kind: 'daily', hour: 23, minute: 59 }, keep: 14, aliases: [] },
  { label: 'weekly', period: { kind: 'weekly', weekday: 7, hour: 23, minute: 59 }, keep: 4, aliases: [] },
  { label: 'monthly', period: { kind: 'monthly', day: 1, hour: 0, minute: 0 }, keep: 4, aliases: [] },
];

export const operatorPolicy = (extra: Partial<Policy> = {}): Policy => makePolicy({ schedules: operatorSchedules(), ...extra });
