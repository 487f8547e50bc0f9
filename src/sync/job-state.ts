// Between a sync run's report and the job state file the checks read: what each target has in common with
// the source (per dataset for trees), whether a resumable receive waits, and the last run's outcome; and the
// write-ahead record of what a run is sending (docs/design.md §4.3.1), which cleanup reads back.
import type { Logger } from 'pino';
import { relativeName } from '../core/dataset.js';
import { readJobState, recordRun, writeJobState, type CommonSnapshot, type InFlightSnapshot, type JobState, type TargetRun } from '../state/job-state.js';
import type { JobSpec } from './job.js';
import { summarizeJob, targetFailure, targetTotals, type JobReport } from './report.js';

/**
 * Records the run; returns the state written (null when nothing was: a busy lock, or a write that failed).
 * `unsure`: target id -> datasets whose transfer failed with an unreadable result; their write-ahead record
 * stays (what reached the target is still unknown), every other reached dataset's is cleared.
 */
export const recordJobState = async (
  stateDir: string,
  job: JobSpec,
  report: JobReport,
  log: Logger,
  unsure: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Promise<JobState | null> => {
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
      // A reached target was read back: its common points above are the truth, the in-flight record is done.
      const kept = Object.entries(prev?.targets[t.id]?.inFlight ?? {}).filter(([rel]) => unsure.get(t.id)?.has(rel) === true);
      targets[t.id] = {
        side: t.side,
        state: t.state,
        summary: targetFailure(t) ?? `${t.state}`,
        ...(reached
          ? { common: datasets[''] ?? null, datasets, inFlight: Object.fromEntries(kept), resumable: t.datasets.some((d) => d.resumePending === true) }
          : {}),
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

/** What the job state file says about one target, per dataset path: its last known common point and what may be past it. */
export interface RecordedTarget {
  /** dataset path -> GUID of the last known common snapshot. */
  readonly commons: ReadonlyMap<string, string>;
  /** dataset path -> GUIDs a run started sending and no run read back (the write-ahead record). */
  readonly inFlight: ReadonlyMap<string, readonly string[]>;
}

/** target id -> what the job state file records about it (empty when the file is missing or unreadable). */
export const recordedTargets = async (stateDir: string, job: string): Promise<Map<string, RecordedTarget>> => {
  const out = new Map<string, RecordedTarget>();
  const state = await readJobState(stateDir, job).catch(() => null);
  for (const [id, t] of Object.entries(state?.targets ?? {})) {
    const commons = new Map<string, string>();
    for (const [rel, c] of Object.entries(t.datasets ?? {})) commons.set(rel, c.guid);
    if (t.common && !commons.has('')) commons.set('', t.common.guid);
    const inFlight = new Map(Object.entries(t.inFlight ?? {}).map(([rel, vs]) => [rel, vs.map((v) => v.guid)] as const));
    out.set(id, { commons, inFlight });
  }
  return out;
};

/**
 * Write-ahead record: before a transfer to `targetId` starts, the snapshots it may leave there are added to the
 * job state file (atomic write), so a run killed before its final state write cannot leave a stale common point
 * alone: cleanup keeps these on the source while the target cannot be listed. Without a recorded entry for the
 * target (first run, or an unreadable file) nothing is written: cleanup then knows no common point and keeps
 * every source snapshot anyway. A failed write throws: the transfer must not start unrecorded.
 */
export const recordInFlight = async (stateDir: string, jobId: string, targetId: string, rel: string, snapshots: readonly InFlightSnapshot[]): Promise<void> => {
  if (snapshots.length === 0) return;
  const prev = await readJobState(stateDir, jobId).catch(() => null);
  const t = prev?.targets[targetId];
  if (!prev || !t) return;
  const had = t.inFlight?.[rel] ?? [];
  const add = snapshots.filter((s) => !had.some((h) => h.guid === s.guid));
  if (add.length === 0) return;
  const inFlight = { ...t.inFlight, [rel]: [...had, ...add.map((s) => ({ name: s.name, guid: s.guid }))] };
  await writeJobState(stateDir, { ...prev, targets: { ...prev.targets, [targetId]: { ...t, inFlight } } });
};
