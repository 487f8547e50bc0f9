// `zfailover status` output: the worst job's line first (`CRITICAL: job data: 2 primaries ...`), then per job a
// header with the last sync and promotion, and one aligned line per side: role, epoch, rw/ro, mounted, newest
// snapshot and its age, relation and lag.
import type { ServiceState } from '../../outcome.js';
import type { CommandResult } from '../../outcome.js';
import { formatDuration } from '../../core/duration.js';
import type { JobStatus, SideStatus } from '../../core/failover/status.js';

const sideLine = (s: SideStatus, width: number): string => {
  const name = s.label.padEnd(width);
  if (!s.reachable) return `  ${name}  unreachable: ${s.error ?? ''}`;
  if (!s.exists) return `  ${name}  does not exist${s.id ? ' (the first sync creates it)' : ''}`;
  const role = (s.role ?? '-').padEnd(7);
  const epoch = `epoch ${s.epoch ?? '-'}`.padEnd(9);
  const rw = s.readonly === true ? 'ro' : s.readonly === false ? 'rw' : '--';
  const mounted = s.mounted === true ? 'mounted  ' : s.mounted === false ? 'unmounted' : '         ';
  const newest = s.newest ? `@${s.newest.name} (${formatDuration(s.newest.age)} old)` : 'no snapshot';
  const rel = s.relation
    ? `; ${s.reversed ? 'replica of the promoted target: ' : ''}${s.relation}${s.lag !== null ? `, lag ${formatDuration(s.lag)}` : ''}`
    : '';
  const promoted = s.promoted ? `; promoted ${s.promoted}` : '';
  return `  ${name}  ${role} ${epoch} ${rw} ${mounted} ${newest}${rel}${promoted}`;
};

export const renderStatus = (jobs: readonly JobStatus[], state: ServiceState, now: number): CommandResult => {
  const worst = jobs.find((j) => j.state === state) ?? jobs[0];
  const details: string[] = [];
  for (const j of jobs) {
    const width = Math.max(...j.sides.map((s) => s.label.length));
    const sync = j.lastSync
      ? `last sync ${j.lastSync.state} ${j.lastSync.at !== null ? `${formatDuration(now - j.lastSync.at / 1000)} ago` : ''}${j.lastSync.successAt !== null ? `, last success ${formatDuration(now - j.lastSync.successAt / 1000)} ago` : ''}`
      : 'no sync recorded on this host';
    const recs = j.records.map(
      (r) =>
        `last ${r.action}${r.mode !== 'demote' ? ` (${r.mode})` : ''} epoch ${r.epoch}: ${r.phase} ${formatDuration(now - r.updatedAt / 1000)} ago${r.aside ? `, diverged writes in ${r.aside}` : ''}`,
    );
    details.push(`job ${j.job}: ${j.state}; ${sync}${recs.length ? `; ${recs.join('; ')}` : ''}`);
    details.push(...j.sides.map((s) => sideLine(s, width)));
    details.push(...j.problems.map((p) => `  ${p}`), ...j.fixes.map((f) => `  fix: ${f}`));
  }
  // Distinct datasets: a job and its way-back job (data, data-back) list the same pair, each side once per job.
  const primaries = new Set(jobs.flatMap((j) => j.sides.filter((s) => s.role === 'primary').map((s) => s.label))).size;
  const summary = jobs.length === 1 ? worst!.summary : `${jobs.length} jobs; ${worst!.summary}`;
  return { state, summary, perfdata: `jobs=${jobs.length} primaries=${primaries}`, details, report: { jobs } };
};
