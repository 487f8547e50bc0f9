// What a snapshot run reports: one status line (what was taken, or that nothing was due), a line per unit,
// and for --dry-run the labels due on each dataset with the names that would be created.
import type { ServiceState } from '../../outcome.js';
import type { CommandResult } from '../../outcome.js';
import { formatPeriodicSnapshotName } from '../../core/names.js';
import type { UnitReport } from './execute.js';

const labelsOf = (r: UnitReport): string[] => [...new Set(Object.values(r.due).flat())];

export const summarizeSnapshots = (reports: readonly UnitReport[], opts: { dryRun: boolean; state: ServiceState }): CommandResult => {
  const taken = reports.reduce((n, r) => n + r.taken.length, 0);
  const pruned = reports.reduce((n, r) => n + r.pruned.length, 0);
  const datasets = reports.reduce((n, r) => n + r.datasets, 0);
  const due = reports.reduce((n, r) => n + Object.values(r.due).reduce((m, l) => m + l.length, 0), 0);
  const labels = [...new Set(reports.flatMap(labelsOf))];
  const dueDatasets = reports.reduce((n, r) => n + Object.keys(r.due).length, 0);
  const main = opts.dryRun
    ? due === 0
      ? `nothing due on ${datasets} dataset(s)`
      : `would take ${due} snapshot(s) (${labels.join(', ')}) on ${dueDatasets} dataset(s)`
    : taken === 0 && due === 0
      ? `nothing due on ${datasets} dataset(s)`
      : `took ${taken} snapshot(s) (${labels.join(', ')}) on ${dueDatasets} dataset(s)${pruned ? `, pruned ${pruned}` : ''}`;
  const bad = reports.filter((r) => r.state !== 'OK');
  const first = bad.find((r) => r.state === opts.state);
  const state: ServiceState = reports.length === 0 ? 'UNKNOWN' : opts.state;
  return {
    state,
    summary: first ? `${first.unit}: ${first.problems[0] ?? first.state}; ${main}` : reports.length === 0 ? 'no datasets to snapshot' : main,
    perfdata: `taken=${taken};;;0 pruned=${pruned};;;0 datasets=${datasets};;;0`,
    details: reports.flatMap((r) => [
      `${r.unit}: ${r.datasets} dataset(s), ${opts.dryRun ? `${Object.values(r.due).flat().length} due` : `${r.taken.length} taken`}${r.pruned.length ? `, ${r.pruned.length} pruned` : ''}${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`,
      ...r.problems.map((p) => `${r.state}: ${r.unit}: ${p}`),
    ]),
    report: { dryRun: opts.dryRun, units: reports },
  };
};

export const renderSnapshotPlan = (reports: readonly UnitReport[], result: CommandResult, now: number): string => {
  const lines = [`snapshot plan at ${new Date(now).toISOString()} (dry run: nothing is taken)`];
  for (const r of reports) {
    lines.push('', `${r.unit}: ${r.datasets} dataset(s)`);
    for (const p of r.problems) lines.push(`  ${r.state}: ${p}`);
    for (const [ds, labels] of Object.entries(r.due)) for (const l of labels) lines.push(`  take  ${ds}@${formatPeriodicSnapshotName(l, now)}`);
    for (const s of r.skipped) lines.push(`  skip  ${s.dataset}: ${s.why}`);
  }
  lines.push('', `${result.state}: ${result.summary}`);
  return `${lines.join('\n')}\n`;
};
