// Between a sync run's report and the job state file the checks read: what each target has in common with
// the source (per dataset for trees), whether a resumable receive waits, and the last run's outcome.
import type { Logger } from 'pino';
import { relativeName } from '../core/dataset.js';
import { readJobState, recordRun, writeJobState, type CommonSnapshot, type JobState, type TargetRun } from '../state/job-state.js';
import type { JobSpec } from './job.js';
import { summarizeJob, targetTotals, type JobReport } from './report.js';

/** Records the run; returns the state written (null when nothing was: a busy lock, or a write that failed). */
export const recordJobState = async (stateDir: string, job: JobSpec, report: JobReport, log: Logger): Promise<JobState | null> => {
  // A run that found the lock busy changes nothing: the holder records its own run.
  if (report.error?.kind === 'transient' && /already running/.test(report.error.message)) return null;
  try {
    const prev = await readJobState(stateDir, job.id).catch(() => null);
    const summary = summarizeJob(report).summary;
    const targets: Record<string, TargetRun> = {};
    for (const t of report.targets) {
      const spec = job.targets.find((x) => x.id === t.id);
      const datasets: Record<string, CommonSnapshot> = {};
      for (const d of t.datasets) {
        const rel = spec ? relativeName(spec.side.dataset, d.target) : null;
        if (rel !== null && d.common) datasets[rel] = d.common;
      }
      const reached = t.error === undefined;
      const conflict = t.datasets.find((d) => d.conflict)?.conflict ?? null;
      targets[t.id] = {
        side: t.side,
        state: t.state,
        summary: t.error?.message ?? `${t.state}`,
        ...(reached ? { common: datasets[''] ?? null, datasets, resumable: t.datasets.some((d) => d.resumePending === true) } : {}),
        bytes: targetTotals(t).bytes,
        conflict,
      };
    }
    const bytes = report.targets.reduce((s, t) => s + targetTotals(t).bytes, 0);
    const snapshots = report.targets.reduce((s, t) => s + targetTotals(t).snapshots, 0);
    const conflict = report.targets.flatMap((t) => t.datasets).find((d) => d.conflict)?.conflict;
    const next = recordRun(
      prev,
      {
        job: job.id,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        state: report.state,
        summary,
        bytes,
        snapshots,
        ...(conflict ? { conflict } : {}),
        ...(report.error ? { error: { kind: report.error.kind, message: report.error.message } } : {}),
        targets,
      },
      report.finishedAt,
    );
    await writeJobState(stateDir, next);
    return next;
  } catch (e) {
    log.error({ err: e }, 'could not write the job state file');
    return null;
  }
};

/** target id -> dataset path -> GUID of the last known common snapshot. */
export const recordedCommons = async (stateDir: string, job: string): Promise<Map<string, Map<string, string>>> => {
  const out = new Map<string, Map<string, string>>();
  const state = await readJobState(stateDir, job).catch(() => null);
  for (const [id, t] of Object.entries(state?.targets ?? {})) {
    const m = new Map<string, string>();
    for (const [rel, c] of Object.entries(t.datasets ?? {})) m.set(rel, c.guid);
    if (t.common && !m.has('')) m.set('', t.common.guid);
    out.set(id, m);
  }
  return out;
};
