// Which schedules are due now: those whose current slot holds no snapshot of their label yet, in any name
// family (so switching from zfs-auto-snapshot or sanoid neither loses nor duplicates a slot). Running twice in
// a slot takes nothing the second time; a slot missed while the host was down is caught up on the next run.
// Pure.
import type { Version } from '../versions.js';
import { scheduleFor, type Policy } from './policy.js';
import { slotStart, type Schedule } from './schedule.js';
import { parseRetentionName } from './snapshot-names.js';

export interface DueSchedule {
  readonly schedule: Schedule;
  /** Start of the current slot (the one the new snapshot will fill). */
  readonly slot: number;
}

export const dueSchedules = (snapshots: readonly Version[], policy: Policy, now: number): DueSchedule[] => {
  const current = new Map<string, number>();
  for (const s of policy.schedules) if (s.keep > 0) current.set(s.label, slotStart(s.period, policy.timeZone, now));
  const filled = new Set<string>();
  for (const v of snapshots) {
    if (v.kind !== 'snapshot') continue;
    const name = parseRetentionName(v.name, { sanoidTimeZone: policy.sanoidTimeZone, creation: v.creation * 1000 });
    if (!name) continue;
    const schedule = scheduleFor(policy, name.label);
    const slot = schedule ? current.get(schedule.label) : undefined;
    if (!schedule || slot === undefined || filled.has(schedule.label) || name.time < slot) continue;
    // At or after the slot start: in this slot, unless dated past it (clock stepped back since).
    if (name.time <= now || slotStart(schedule.period, policy.timeZone, name.time) === slot) filled.add(schedule.label);
  }
  return policy.schedules.filter((s) => current.has(s.label) && !filled.has(s.label)).map((s) => ({ schedule: s, slot: current.get(s.label) as number }));
};
