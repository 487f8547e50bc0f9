// A retention policy as the core sees it, fully resolved from the config (templates applied, defaults filled):
// the zone slots are computed in, the labelled schedules, and which name families prune may destroy. Pure.
import type { NameFamily } from './snapshot-names.js';
import { defaultAliases, defaultPeriod, type Period, type Schedule } from './schedule.js';

export interface Policy {
  /** IANA zone in which schedules are read (`UTC` unless configured). */
  readonly timeZone: string;
  readonly schedules: readonly Schedule[];
  /** Name families prune may destroy; names of any other family are read for slots but never destroyed. */
  readonly prune: readonly NameFamily[];
  /** Zone sanoid wrote its (local-time) names in. */
  readonly sanoidTimeZone: string;
  /** Snapshots kept beyond the policy because a target still needs them, at most this many per dataset. */
  readonly pileupCeiling: number;
  /** A name dated more than this after `now` is kept and reported (clock skew), ms. */
  readonly futureToleranceMs: number;
}

export const DEFAULT_PILEUP_CEILING = 500;
export const DEFAULT_FUTURE_TOLERANCE_MS = 5 * 60_000;

export const makePolicy = (p: Partial<Policy> & Pick<Policy, 'schedules'>): Policy => ({
  timeZone: p.timeZone ?? 'UTC',
  schedules: p.schedules,
  prune: p.prune ?? ['zfailover'],
  sanoidTimeZone: p.sanoidTimeZone ?? p.timeZone ?? 'UTC',
  pileupCeiling: p.pileupCeiling ?? DEFAULT_PILEUP_CEILING,
  futureToleranceMs: p.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS,
});

/** A schedule for a well-known label with its default period (`hourly`, `daily` ...), or null. */
export const standardSchedule = (label: string, keep: number, period?: Period): Schedule | null => {
  const p = period ?? defaultPeriod(label);
  return p ? { label, period: p, keep, aliases: defaultAliases(label) } : null;
};

/** The schedule a name's label counts toward (its own label or an alias), if any. */
export const scheduleFor = (policy: Policy, label: string): Schedule | undefined =>
  policy.schedules.find((s) => s.label === label) ?? policy.schedules.find((s) => s.aliases.includes(label));

/** The same schedules with other keep counts (a replica's deeper policy); labels not named keep theirs. */
export const withKeep = (policy: Policy, keep: Readonly<Record<string, number>>, extra: Partial<Policy> = {}): Policy => ({
  ...policy,
  ...extra,
  schedules: policy.schedules.map((s) => (keep[s.label] === undefined ? s : { ...s, keep: keep[s.label] as number })),
});

/** Short human summary: `frequent 5m x24, hourly x24, daily 23:59 x14 (UTC)`. */
export const describePolicy = (policy: Policy): string => `${policy.schedules.map((s) => `${s.label} x${s.keep}`).join(', ')} (${policy.timeZone})`;
