// When does a retention policy stop keeping a snapshot? For the job check's warning that the newest common
// snapshot is about to fall out of its policy. Snapshots the schedules will take before the horizon are added
// as they would be (one per future slot), since they are what pushes an old one beyond `keep`. A snapshot,
// once dropped, stays dropped as time passes, so the first dropping instant is found by bisection. Pure.
import { formatPeriodicSnapshotName } from '../core/names.js';
import { judgeByPolicy } from '../core/retention/keep.js';
import { scheduleFor, type Policy } from '../core/retention/policy.js';
import { nextSlotStart } from '../core/retention/schedule.js';
import { parseRetentionName } from '../core/retention/snapshot-names.js';
import type { Version } from '../core/versions.js';

/** Future slots simulated per call at most (a 1-minute schedule over a day is 1,440). */
const MAX_FUTURE = 5000;

export type Horizon =
  /** The policy does not govern this snapshot (no label/time in its name, or an unknown label). */
  | { readonly kind: 'ungoverned' }
  | { readonly kind: 'kept' }
  /** Dropped at `at` (ms), which may be now already (then kept only by a protection). */
  | { readonly kind: 'dropped'; readonly at: number; readonly label: string; readonly keep: number };

/**
 * The first instant in [now, now + horizonMs] at which the policy no longer keeps `snapshot` among
 * `snapshots` plus the ones its schedules will have taken by then.
 */
export const policyHorizon = (snapshots: readonly Version[], snapshot: Version, policy: Policy, now: number, horizonMs: number): Horizon => {
  const name = parseRetentionName(snapshot.name, { sanoidTimeZone: policy.sanoidTimeZone, creation: snapshot.creation * 1000 });
  const schedule = name ? scheduleFor(policy, name.label) : undefined;
  if (!name || !schedule) return { kind: 'ungoverned' };
  const keptAt = (t: number, future: readonly Version[]): boolean => {
    const verdict = judgeByPolicy([...snapshots, ...future], policy, t).find((v) => v.snapshot === snapshot);
    return verdict?.keep ?? true;
  };
  const dropped = (at: number): Horizon => ({ kind: 'dropped', at, label: schedule.label, keep: schedule.keep });
  if (!keptAt(now, [])) return dropped(now);
  const future = futureSnapshots(snapshots, policy, now, now + horizonMs);
  if (keptAt(now + horizonMs, future)) return { kind: 'kept' };
  // Bisect over the future snapshots' times: keep status only changes when one is taken.
  let lo = 0;
  let hi = future.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const at = (future[mid] as Version).creation * 1000;
    if (keptAt(at, future.slice(0, mid + 1))) lo = mid + 1;
    else hi = mid;
  }
  return dropped((future[lo] as Version | undefined)?.creation !== undefined ? (future[lo] as Version).creation * 1000 : now + horizonMs);
};

/** One zfailover-named snapshot per schedule slot starting in (from, to], oldest first. */
const futureSnapshots = (existing: readonly Version[], policy: Policy, from: number, to: number): Version[] => {
  const dataset = existing[0]?.dataset ?? 'x';
  let txg = existing.reduce((m, v) => Math.max(m, v.createtxg), 0);
  const out: { t: number; label: string }[] = [];
  for (const s of policy.schedules) {
    if (s.keep <= 0) continue;
    for (let t = nextSlotStart(s.period, policy.timeZone, from); t <= to && out.length < MAX_FUTURE; t = nextSlotStart(s.period, policy.timeZone, t)) {
      out.push({ t, label: s.label });
    }
  }
  out.sort((a, b) => a.t - b.t);
  return out.map(({ t, label }) => ({
    kind: 'snapshot' as const,
    dataset,
    name: formatPeriodicSnapshotName(label, t),
    guid: `future-${label}-${t}`,
    createtxg: ++txg,
    creation: Math.floor(t / 1000),
  }));
};
