// check gaps: the snapshots present on each side against the slots its retention policy should hold —
// missing slots ("hourly 03:00..05:00 (3 slots) missing on backup/data"), snapshots still there long after the policy
// dropped them (prune not running), and names dated in the future (clock skew). Reads zfs-auto-snapshot,
// sanoid and zfailover names. The probe is a dry prune run (same listings, policies and protections).

import { evaluateGaps, type GapsReport, type MissingRange } from '../core/retention/gaps.js';
import { scheduleFor, type Policy } from '../core/retention/policy.js';
import { periodMinutes } from '../core/retention/schedule.js';
import { parseRetentionName } from '../core/retention/snapshot-names.js';
import { wallOf } from '../core/retention/zone.js';
import { parseSyncSnapshotName } from '../core/names.js';
import type { Version } from '../core/versions.js';

import { type Evaluation } from '../plugin/check.js';
import { evaluate, parseRange, plainAtom, type Range, type Thresholds } from '../plugin/range.js';
import type { Finding } from '../plugin/summary.js';

import { formatSide, type Side } from '../zfs/side.js';
import { sameHost } from '../config/job-checks.js';

import { type DatasetPrune, type PruneRunResult } from '../actions/prune/run.js';

export interface GapsCliOptions {
  job?: string[];
  warning?: Range;
  critical?: Range;
  timeout?: number;
  /** Seconds a slot may stay empty (the run that fills it may be a cycle late), and a dropped snapshot linger. */
  grace?: number;
  maxLines?: number;
  config?: string;
  stateDir?: string;
  now?: number;
}

export const DEFAULT_GRACE_SECONDS = 600;
export const DEFAULT_WARNING = parseRange('0', plainAtom);

export const onlyWanted = (run: PruneRunResult, wanted: readonly Side[]): PruneRunResult => ({
  ...run,
  datasets: run.datasets.filter((d) =>
    wanted.some((w) => sameHost(w, d.where) && (d.where.dataset === w.dataset || d.where.dataset.startsWith(`${w.dataset}/`))),
  ),
});

/** Newest instant a replica has received: the time its newest snapshot's name states (else its creation). */
const receivedUntil = (snapshots: readonly Version[], policy: Policy): number => {
  let best = -Infinity;
  for (const v of snapshots) {
    const t = parseRetentionName(v.name, { sanoidTimeZone: policy.sanoidTimeZone })?.time ?? parseSyncSnapshotName(v.name)?.time ?? v.creation * 1000;
    if (t > best) best = t;
  }
  return best;
};

const clock = (policy: Policy, t: number): string => new Date(wallOf(policy.timeZone, t)).toISOString().slice(0, 16).replace('T', ' ');

/**
 * `hourly 04:00` (one slot, today), `hourly 03:00..05:00 (3 slots)` (the slots starting at 03:00, 04:00 and
 * 05:00: first and last slot start, never a time span, which "03:00-05:00" read as), `hourly 11-25 23:00..11-26
 * 02:00 (4 slots)`, `daily 2026-11-20..2026-11-22 (3 slots)` (policy zone).
 */
export const formatMissing = (m: MissingRange, policy: Policy, now: number): string => {
  const period = scheduleFor(policy, m.label)?.period;
  const coarse = period === undefined || periodMinutes(period) >= 1440;
  const [a, b, today] = [clock(policy, m.from), clock(policy, m.to), clock(policy, now).slice(0, 10)];
  const slots = ` (${m.count} slots)`;
  if (coarse) return `${m.label} ${a.slice(0, 10)}${m.count > 1 ? `..${b.slice(0, 10)}${slots}` : ''}`;
  const short = (s: string): string => (s.slice(0, 10) === today ? s.slice(11) : s.slice(5));
  if (m.count === 1) return `${m.label} ${short(a)}`;
  return a.slice(0, 10) === b.slice(0, 10) ? `${m.label} ${short(a)}..${b.slice(11)}${slots}` : `${m.label} ${short(a)}..${short(b)}${slots}`;
};

interface EvalOptions {
  readonly now: number;
  readonly graceMs: number;
  readonly thresholds: Thresholds;
  readonly maxLines: number | undefined;
}

const gapsOf = (d: DatasetPrune, o: EvalOptions): GapsReport => {
  const snapshots = d.decision.items.map((i) => i.snapshot);
  const until = d.role === 'source' ? o.now - o.graceMs : Math.min(o.now - o.graceMs, receivedUntil(snapshots, d.policy));
  // Only what prune would destroy right now can be over-retention (common, held, pending, foreign names are not).
  const protectedGuids = new Set(d.decision.items.filter((i) => i.action === 'keep').map((i) => i.snapshot.guid));
  return evaluateGaps({ snapshots, policy: d.policy, now: o.now, until, graceMs: o.graceMs, protectedGuids });
};

export const evaluateRun = (run: PruneRunResult, o: EvalOptions): Evaluation => {
  const findings: Finding[] = [];
  for (const p of run.problems) {
    if (p.kind === 'fallback' || p.kind === 'state') continue;
    findings.push({ state: p.kind === 'missing' ? 'CRITICAL' : 'UNKNOWN', subject: p.subject, text: p.kind === 'missing' ? 'does not exist' : p.text });
  }
  let missing = 0;
  let over = 0;
  let future = 0;
  let expected = 0;
  const reports = [];
  for (const d of run.datasets) {
    const where = formatSide(d.where);
    const g = gapsOf(d, o);
    reports.push({ dataset: where, role: d.role, ...g });
    missing += g.missingSlots;
    over += g.over.length;
    future += g.future.length;
    expected += g.labels.reduce((n, l) => n + l.expected, 0);
    const parts: string[] = [];
    const ranges = g.missing.map((m) => formatMissing(m, d.policy, o.now));
    if (ranges.length > 0) parts.push(`${ranges.slice(0, 3).join(', ')}${ranges.length > 3 ? ` (+${ranges.length - 3} more ranges)` : ''} missing`);
    if (g.over.length > 0) parts.push(`${g.over.length} kept past the policy (${g.over[0]?.name})`);
    if (g.future.length > 0) parts.push(`${g.future.length} dated in the future (${g.future[0]?.name}): clock skew?`);
    const states = [evaluate(g.missingSlots, o.thresholds), g.over.length > 0 || g.future.length > 0 ? 'WARNING' : 'OK'] as const;
    const state = states.includes('CRITICAL') ? 'CRITICAL' : states.includes('WARNING') ? 'WARNING' : 'OK';
    const present = g.labels.map((l) => `${l.label} ${l.present}/${l.expected}`).join(', ');
    findings.push({
      state,
      subject: '',
      text: parts.length > 0 ? `${parts.join('; ')} on ${where}` : `${where}: ${present || 'no schedules'}`,
      notes: parts.length > 0 ? [`${where}: ${present}`] : undefined,
    });
  }
  return {
    noun: 'dataset',
    okText: `all ${run.datasets.length} datasets hold their ${expected} expected slots`,
    maxDetails: o.maxLines,
    findings,
    perfdata: [
      {
        label: 'missing',
        value: missing,
        ...(o.thresholds.warning ? { warning: o.thresholds.warning } : {}),
        ...(o.thresholds.critical ? { critical: o.thresholds.critical } : {}),
        min: 0,
      },
      { label: 'over', value: over, min: 0 },
      { label: 'future', value: future, min: 0 },
      { label: 'expected', value: expected, min: 0 },
    ],
    report: { datasets: reports, problems: run.problems },
  };
};
