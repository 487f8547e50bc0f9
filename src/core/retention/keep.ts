// What a policy alone keeps, before any protection: per label, one snapshot in each of the newest `keep`
// occupied slots. Counting occupied slots (not the last `keep` slots of the calendar) means a stretch without
// snapshots (host down, replication stalled) never shortens the history that is kept. Pure.
import { compareVersions, type Version } from '../versions.js';
import type { Policy } from './policy.js';
import { scheduleFor } from './policy.js';
import { slotStart, type Schedule } from './schedule.js';
import { parseRetentionName, type RetentionName } from './snapshot-names.js';

export type PolicyReason =
  /** No label and time in the name: not a retention snapshot (sync snapshots, manual names). */
  | { readonly kind: 'other-name' }
  /** A label no schedule of the policy claims. */
  | { readonly kind: 'unknown-label'; readonly label: string }
  /** Dated after now: the clock is wrong somewhere; such a snapshot neither counts nor goes. */
  | { readonly kind: 'future'; readonly label: string; readonly time: number }
  /** Kept: the representative of the `rank`-th newest occupied slot. */
  | { readonly kind: 'slot'; readonly label: string; readonly slot: number; readonly rank: number; readonly keep: number }
  /** Not kept: its slot is older than the newest `keep` occupied ones; surplus since `since`. */
  | { readonly kind: 'beyond-keep'; readonly label: string; readonly slot: number; readonly rank: number; readonly keep: number; readonly since: number }
  /** Not kept: another snapshot of the label represents the same slot. */
  | { readonly kind: 'duplicate'; readonly label: string; readonly slot: number; readonly keeper: string; readonly since: number };

export interface PolicyVerdict {
  readonly snapshot: Version;
  readonly name: RetentionName | null;
  readonly keep: boolean;
  readonly reason: PolicyReason;
}

interface Entry {
  readonly snapshot: Version;
  readonly name: RetentionName;
  readonly slot: number;
}

/** Slot of a labelled snapshot under its schedule. */
export const slotOf = (policy: Policy, schedule: Schedule, time: number): number => slotStart(schedule.period, policy.timeZone, time);

/** One verdict per snapshot (bookmarks are skipped), in the input order. */
export const judgeByPolicy = (snapshots: readonly Version[], policy: Policy, now: number): PolicyVerdict[] => {
  const verdicts = new Map<Version, PolicyVerdict>();
  const groups = new Map<string, { schedule: Schedule; entries: Entry[] }>();
  for (const v of snapshots) {
    if (v.kind !== 'snapshot') continue;
    const name = parseRetentionName(v.name, { sanoidTimeZone: policy.sanoidTimeZone, creation: v.creation * 1000 });
    if (!name) {
      verdicts.set(v, { snapshot: v, name, keep: true, reason: { kind: 'other-name' } });
      continue;
    }
    const schedule = scheduleFor(policy, name.label);
    if (!schedule) {
      verdicts.set(v, { snapshot: v, name, keep: true, reason: { kind: 'unknown-label', label: name.label } });
      continue;
    }
    if (name.time > now + policy.futureToleranceMs) {
      verdicts.set(v, { snapshot: v, name, keep: true, reason: { kind: 'future', label: schedule.label, time: name.time } });
      continue;
    }
    let g = groups.get(schedule.label);
    if (!g) groups.set(schedule.label, (g = { schedule, entries: [] }));
    g.entries.push({ snapshot: v, name, slot: slotOf(policy, schedule, name.time) });
  }
  for (const { schedule, entries } of groups.values()) {
    for (const [v, verdict] of judgeLabel(schedule, entries)) verdicts.set(v, verdict);
  }
  return snapshots.filter((v) => v.kind === 'snapshot').map((v) => verdicts.get(v) as PolicyVerdict);
};

/** Earliest in the slot represents it: it is the one taken on schedule, later ones are catch-ups or manual. */
const compareInSlot = (a: Entry, b: Entry): number =>
  a.name.time - b.name.time || compareVersions(a.snapshot, b.snapshot) || (a.snapshot.name < b.snapshot.name ? -1 : 1);

const judgeLabel = (schedule: Schedule, entries: readonly Entry[]): Map<Version, PolicyVerdict> => {
  const bySlot = new Map<number, Entry[]>();
  for (const e of entries) {
    const list = bySlot.get(e.slot);
    if (list) list.push(e);
    else bySlot.set(e.slot, [e]);
  }
  const slots = [...bySlot.keys()].sort((a, b) => b - a);
  const keepers = slots.map((s) => (bySlot.get(s) as Entry[]).sort(compareInSlot)[0] as Entry);
  const out = new Map<Version, PolicyVerdict>();
  const label = schedule.label;
  const keep = schedule.keep;
  slots.forEach((slot, i) => {
    const rank = i + 1;
    const [keeper, ...rest] = bySlot.get(slot) as Entry[];
    if (!keeper) return;
    if (rank <= keep) {
      out.set(keeper.snapshot, { snapshot: keeper.snapshot, name: keeper.name, keep: true, reason: { kind: 'slot', label, slot, rank, keep } });
      for (const e of rest) {
        out.set(e.snapshot, {
          snapshot: e.snapshot,
          name: e.name,
          keep: false,
          reason: { kind: 'duplicate', label, slot, keeper: keeper.snapshot.name, since: e.name.time },
        });
      }
    } else {
      // The slot fell out when the keeper `keep` ranks newer arrived (its own keeper when keep is 0).
      const since = (keepers[i - keep] as Entry).name.time;
      for (const e of [keeper, ...rest]) {
        out.set(e.snapshot, { snapshot: e.snapshot, name: e.name, keep: false, reason: { kind: 'beyond-keep', label, slot, rank, keep, since } });
      }
    }
  });
  return out;
};
