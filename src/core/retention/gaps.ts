// The gaps check's evaluation: the slots a policy should hold a snapshot for (per label, the newest `keep`
// slots up to `until`, not before the label's history begins), which of them are empty, which snapshots
// are still there although the policy dropped them a while ago (prune not running), and which are dated in
// the future (clock skew). Pure.
import type { Version } from '../versions.js';
import { judgeByPolicy } from './keep.js';
import type { Policy } from './policy.js';
import { previousSlotStart, slotStart } from './schedule.js';

export interface MissingRange {
  readonly label: string;
  /** Start of the oldest and of the newest missing slot of the run. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

export interface GapsInput {
  readonly snapshots: readonly Version[];
  readonly policy: Policy;
  readonly now: number;
  /** Newest instant whose slots must be filled: now - grace on a source; on a replica, what it has received. */
  readonly until: number;
  /** How long a dropped snapshot may linger before it counts as over-retention, ms. */
  readonly graceMs: number;
  /** GUIDs protected for replication (a kept-back common snapshot is not over-retention). */
  readonly protectedGuids?: ReadonlySet<string>;
}

export interface LabelGaps {
  readonly label: string;
  readonly expected: number;
  readonly present: number;
  readonly missing: readonly MissingRange[];
}

export interface GapsReport {
  readonly labels: readonly LabelGaps[];
  readonly missingSlots: number;
  readonly missing: readonly MissingRange[];
  readonly over: readonly { readonly name: string; readonly label: string; readonly since: number }[];
  readonly future: readonly { readonly name: string; readonly label: string; readonly time: number }[];
}

export const evaluateGaps = (input: GapsInput): GapsReport => {
  const { policy, now, until } = input;
  const verdicts = judgeByPolicy(input.snapshots, policy, now);
  const occupied = new Map<string, Set<number>>();
  const earliest = new Map<string, number>();
  for (const v of verdicts) {
    const r = v.reason;
    if (r.kind === 'slot' || r.kind === 'beyond-keep' || r.kind === 'duplicate') {
      let set = occupied.get(r.label);
      if (!set) occupied.set(r.label, (set = new Set()));
      set.add(r.slot);
      earliest.set(r.label, Math.min(earliest.get(r.label) ?? Infinity, r.slot));
    }
  }

  const labels: LabelGaps[] = [];
  for (const s of policy.schedules) {
    if (s.keep <= 0) continue;
    const have = occupied.get(s.label) ?? new Set<number>();
    // Slots before the first snapshot of a label are history that never existed, not a gap ...
    // unless there is none at all: then the schedule is not running and every expected slot is missing.
    const start = earliest.get(s.label) ?? -Infinity;
    const expected: number[] = [];
    let slot = slotStart(s.period, policy.timeZone, until);
    while (expected.length < s.keep && slot >= start) {
      expected.push(slot);
      slot = previousSlotStart(s.period, policy.timeZone, slot);
    }
    const missing: MissingRange[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length > 0) missing.push({ label: s.label, from: run[run.length - 1] as number, to: run[0] as number, count: run.length });
      run = [];
    };
    for (const e of expected) {
      if (have.has(e)) flush();
      else run.push(e);
    }
    flush();
    labels.push({ label: s.label, expected: expected.length, present: expected.length - missing.reduce((n, m) => n + m.count, 0), missing });
  }

  const over: GapsReport['over'][number][] = [];
  const future: GapsReport['future'][number][] = [];
  for (const v of verdicts) {
    const r = v.reason;
    if (r.kind === 'future') future.push({ name: v.snapshot.name, label: r.label, time: r.time });
    if (v.keep || !v.name || (r.kind !== 'beyond-keep' && r.kind !== 'duplicate')) continue;
    if (!policy.prune.includes(v.name.family) || (v.snapshot.userrefs ?? 0) > 0 || input.protectedGuids?.has(v.snapshot.guid)) continue;
    if (r.since + input.graceMs < now) over.push({ name: v.snapshot.name, label: r.label, since: r.since });
  }
  const missing = labels.flatMap((l) => l.missing);
  return { labels, missingSlots: missing.reduce((n, m) => n + m.count, 0), missing, over, future };
};
