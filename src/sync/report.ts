// The result tree of a sync run (job -> target -> dataset -> step) and its one-line summary with perfdata.
// Serialisable as-is for `--json`; the checks read the parts that go into the job state file.
import type { ConflictName, ErrorKind } from '../errors.js';
import { formatSize } from '../core/duration.js';
import { elideMiddle, fitLine } from './first-line.js';
import { worstState, type ServiceState } from '../outcome.js';
import type { CommandResult } from '../outcome.js';

export type DatasetOutcome = 'replicated' | 'nothing-to-do' | 'planned' | 'conflict' | 'failed' | 'skipped';

export interface StepReport {
  readonly kind: string;
  readonly from: string | null;
  readonly to: string | null;
  /** The pipeline as an operator would type it (display only; execution uses argument arrays). */
  readonly command: string;
  readonly ok: boolean | null;
  readonly bytes: number | null;
  readonly durationMs: number | null;
  readonly error?: string;
}

export interface DatasetReport {
  readonly source: string;
  readonly target: string;
  readonly state: ServiceState;
  readonly outcome: DatasetOutcome;
  readonly steps: readonly StepReport[];
  readonly snapshots: number;
  readonly bytes: number;
  readonly common: { readonly name: string; readonly guid: string; readonly creation: number; readonly createtxg: number } | null;
  readonly conflict?: ConflictName;
  readonly message?: string;
  readonly hint?: string;
  readonly resumePending?: boolean;
}

export interface TargetReport {
  readonly id: string;
  readonly side: string;
  readonly state: ServiceState;
  readonly datasets: readonly DatasetReport[];
  /** Target datasets the source no longer has: reported, never destroyed. */
  readonly orphans: readonly string[];
  /** Why the whole target failed; `message` is the reason alone, without the side (see `targetFailure`). */
  readonly error?: { readonly kind: ErrorKind | 'unknown'; readonly message: string; readonly hint?: string };
  readonly destroyed: readonly string[];
}

export interface JobReport {
  readonly job: string;
  readonly source: string;
  readonly state: ServiceState;
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Sync snapshot taken this cycle (short name), if any. */
  readonly snapshot: string | null;
  readonly targets: readonly TargetReport[];
  readonly destroyed: readonly string[];
  readonly error?: { readonly kind: ErrorKind | 'unknown'; readonly message: string; readonly hint?: string };
  readonly notes: readonly string[];
  /** The source root's promotion epoch (0 when unmarked); absent when the source could not be listed. */
  readonly epoch?: number;
}

export const targetTotals = (t: TargetReport): { bytes: number; snapshots: number } => ({
  bytes: t.datasets.reduce((s, d) => s + d.bytes, 0),
  snapshots: t.datasets.reduce((s, d) => s + d.snapshots, 0),
});

/** A failed target's reason with its side in front, as mails, the job state and failover summaries show it. */
export const targetFailure = (t: TargetReport): string | undefined => (t.error ? `${t.side}: ${t.error.message}` : undefined);

const targetPhrase = (t: TargetReport): string => {
  if (t.error) return targetFailure(t)!;
  const bad = t.datasets.filter((d) => d.state !== 'OK');
  if (bad.length > 0) {
    const d = bad[0]!;
    if (bad.length === 1) return d.conflict ? `${d.conflict}: ${d.message ?? ''}` : (d.message ?? d.outcome);
    // The conflict name first: a first line too long for its budget loses its middle, never its start.
    return `${d.conflict ?? d.outcome} on ${d.target} and ${bad.length - 1} more: ${d.message ?? ''}`;
  }
  const { bytes, snapshots } = targetTotals(t);
  if (t.datasets.every((d) => d.outcome === 'planned' || d.outcome === 'nothing-to-do')) {
    const planned = t.datasets.filter((d) => d.outcome === 'planned').length;
    if (planned > 0) return `would replicate ${planned} dataset(s)`;
  }
  return snapshots === 0 ? 'up to date' : `${snapshots} snapshot${snapshots === 1 ? '' : 's'} ${formatSize(bytes)}`;
};

/** `OK: tank/data -> backup/data 3 snapshots 12.3MiB 0.8s | sent=...B snapshots=... duration=...s` */
export const summarizeJob = (r: JobReport): CommandResult => {
  const secs = ((r.finishedAt - r.startedAt) / 1000).toFixed(1);
  let summary: string;
  const prefix = r.dryRun ? 'dry run: ' : '';
  const budget = SUMMARY_MAX - prefix.length;
  if (r.error) {
    summary = fitLine([r.job], '', r.error.message, budget, ': ');
  } else if (r.targets.length === 1) {
    const t = r.targets[0]!;
    // The side is named once, by the pair in front.
    summary = t.error ? fitLine([r.source, t.side], ' -> ', t.error.message, budget, ': ') : fitLine([r.source, t.side], ' -> ', targetPhrase(t), budget);
  } else {
    summary = fitLine([r.source], '', `-> ${r.targets.map((t) => `${t.id}: ${targetPhrase(t)}`).join('; ')}`, budget);
  }
  summary = `${prefix}${summary} ${secs}s`;
  const bytes = r.targets.reduce((s, t) => s + targetTotals(t).bytes, 0);
  const snaps = r.targets.reduce((s, t) => s + targetTotals(t).snapshots, 0);
  const perfdata = `sent=${bytes}B snapshots=${snaps} duration=${secs}s`;
  return { state: r.state, summary, perfdata, details: detailLines(r), report: r };
};

/** Why superseded sync snapshots stay: somebody holds them (a backup tool, an operator, a crashed send). */
export const heldNote = (held: readonly string[]): string =>
  `${held.length} superseded sync snapshot${held.length === 1 ? ' is' : 's are'} kept because ${held.length === 1 ? 'it is' : 'they are'} held: ${held[0]}${held.length > 1 ? ` and ${held.length - 1} more` : ''}`;

/** Long output: one line per target or failing dataset, then the resolving command, then the run's notes. */
const detailLines = (r: JobReport): string[] => {
  const lines: string[] = [];
  if (r.error?.hint) lines.push(`fix: ${r.error.hint}`);
  for (const t of r.targets) {
    if (r.targets.length > 1) lines.push(`${t.state} ${t.id} (${t.side}): ${targetPhrase(t)}`);
    if (t.error?.hint) lines.push(`fix: ${t.error.hint}`);
    for (const d of t.datasets.filter((x) => x.state !== 'OK')) {
      if (t.datasets.length > 1) lines.push(`${d.state} ${d.target}: ${d.conflict ?? d.outcome}: ${d.message ?? ''}`);
      if (d.hint) lines.push(`fix: ${d.hint}`);
    }
    if (t.orphans.length > 0) lines.push(`not on source any more (kept): ${t.orphans.slice(0, 5).join(', ')}${t.orphans.length > 5 ? ' ...' : ''}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines;
};

/** Characters of a first line before its duration and perfdata. */
const SUMMARY_MAX = 170;

export const stateOfTarget = (datasets: readonly DatasetReport[]): ServiceState => worstState(datasets.map((d) => d.state));

/** Several jobs (`--all`): the worst state, one phrase per job. */
export const summarizeJobs = (reports: readonly JobReport[]): CommandResult => {
  if (reports.length === 1) return summarizeJob(reports[0]!);
  const results = reports.map(summarizeJob);
  const state = worstState(results.map((x) => x.state));
  const bad = reports.filter((r) => r.state !== 'OK');
  const summary =
    bad.length === 0 ? `${reports.length} jobs OK` : `${bad.length} of ${reports.length} jobs not OK: ${bad.map((r) => `${r.job} ${r.state}`).join(', ')}`;
  const bytes = reports.reduce((s, r) => s + r.targets.reduce((a, t) => a + targetTotals(t).bytes, 0), 0);
  return {
    state,
    summary: elideMiddle(summary, 180),
    perfdata: `sent=${bytes}B jobs=${reports.length} failing=${bad.length}`,
    details: results.map((x, i) => `${x.state} ${reports[i]!.job}: ${x.summary}`),
    report: { jobs: reports },
  };
};
