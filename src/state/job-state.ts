// Job state file <state>/jobs/<job>.json: what the last runs did, read by the checks (RPO, failures, conflicts)
// and by `status`. Schema version 1; a reader refuses any other version instead of guessing.
//
// recordRun() is pure (time is passed in); readJobState/writeJobState are the thin I/O around it.
import type { ServiceState } from '../outcome.js';
import { InternalError } from '../errors.js';
import { readJson, writeJsonAtomic } from './atomic.js';
import { jobStatePath } from './dir.js';
import { checkJobState, JOB_STATE_VERSION } from './job-state-check.js';
import type { CommonSnapshot, InFlightSnapshot, JobState, TargetState } from './job-state-schema.js';

export { JOB_STATE_VERSION };
export type { CommonSnapshot, InFlightSnapshot, JobState, TargetState };

/** What one run reports for one target. */
export interface TargetRun {
  readonly side: string;
  readonly state: ServiceState;
  readonly summary: string;
  /** Newest common snapshot after the run; undefined when the run did not learn it (previous value kept). */
  readonly common?: CommonSnapshot | null;
  /** Per-dataset commons (tree jobs); undefined when the run did not learn them (previous value kept). */
  readonly datasets?: Readonly<Record<string, CommonSnapshot>>;
  /** The write-ahead record after the run (per dataset; empty clears it); undefined keeps the previous one. */
  readonly inFlight?: Readonly<Record<string, readonly InFlightSnapshot[]>>;
  readonly bytes: number;
  /** A resumable partial receive remains on the target; undefined when unknown (previous value kept). */
  readonly resumable?: boolean;
  readonly conflict?: string | null;
}

/** What one finished run reports. A run that found the lock busy records nothing: the holder will. */
export interface RunRecord {
  readonly job: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly state: ServiceState;
  readonly summary: string;
  readonly conflict?: string;
  readonly bytes: number;
  readonly snapshots: number;
  /** The error that decided a non-OK state (its kind from src/errors.ts, or a conflict name's `conflict`). */
  readonly error?: { readonly kind: string; readonly message: string };
  readonly targets: Readonly<Record<string, TargetRun>>;
}

const KIND_OF_STATE: Readonly<Record<ServiceState, string>> = { OK: 'none', WARNING: 'transient', CRITICAL: 'permanent', UNKNOWN: 'internal' };

/**
 * The state after `run`: success resets the failure count and becomes lastSuccess; anything else counts as a
 * failure and becomes lastError, keeping the last success (its age is the RPO). Targets not in the run
 * keep their state.
 */
export const recordRun = (prev: JobState | null, run: RunRecord, now: number): JobState => {
  if (prev && prev.job !== run.job) throw new InternalError(`state of job ${prev.job} updated with a run of job ${run.job}`);
  const ok = run.state === 'OK';
  const targets: Record<string, TargetState> = { ...(prev?.targets ?? {}) };
  for (const [id, t] of Object.entries(run.targets)) {
    const before = prev?.targets[id];
    const inFlight = nonEmpty(t.inFlight !== undefined ? t.inFlight : before?.inFlight);
    targets[id] = {
      side: t.side,
      lastSuccessAt: t.state === 'OK' ? run.finishedAt : (before?.lastSuccessAt ?? null),
      lastState: t.state,
      lastSummary: t.summary,
      common: t.common !== undefined ? t.common : (before?.common ?? null),
      ...(t.datasets !== undefined ? { datasets: { ...t.datasets } } : before?.datasets !== undefined ? { datasets: before.datasets } : {}),
      ...(inFlight ? { inFlight } : {}),
      bytes: t.bytes,
      resume: t.resumable === undefined ? (before?.resume ?? null) : t.resumable ? { token: true, since: before?.resume?.since ?? run.finishedAt } : null,
      conflict: t.conflict ?? null,
    };
  }
  return {
    version: JOB_STATE_VERSION,
    job: run.job,
    updatedAt: now,
    lastRun: {
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      state: run.state,
      summary: run.summary,
      ...(run.conflict !== undefined ? { conflict: run.conflict } : {}),
    },
    lastSuccess: ok
      ? { at: run.finishedAt, startedAt: run.startedAt, durationMs: Math.max(0, run.finishedAt - run.startedAt), bytes: run.bytes, snapshots: run.snapshots }
      : (prev?.lastSuccess ?? null),
    lastError: ok
      ? (prev?.lastError ?? null)
      : { at: run.finishedAt, kind: run.error?.kind ?? (run.conflict ? 'conflict' : KIND_OF_STATE[run.state]), message: run.error?.message ?? run.summary },
    consecutiveFailures: ok ? 0 : (prev?.consecutiveFailures ?? 0) + 1,
    targets,
  };
};

/** The in-flight entries that name a snapshot, as a fresh record; undefined when none is left. */
const nonEmpty = (r: Readonly<Record<string, readonly InFlightSnapshot[]>> | undefined): Record<string, InFlightSnapshot[]> | undefined => {
  const out = Object.fromEntries(
    Object.entries(r ?? {})
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, v.map((x) => ({ name: x.name, guid: x.guid }))]),
  );
  return Object.keys(out).length > 0 ? out : undefined;
};

/** What zod makes of a value the hand-written check would not vouch for (rare: zod is loaded only then). */
const zodParse = async (value: unknown) => (await import('./job-state-schema.js')).jobStateSchema.safeParse(value);

/** Validate a parsed state file; a newer version is refused by name so the operator knows why. */
export const parseJobState = async (value: unknown, job?: string): Promise<JobState> => {
  const version = (value as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== JOB_STATE_VERSION) {
    throw new Error(`state version ${version} (this zfailover reads version ${JOB_STATE_VERSION})`);
  }
  const checked = checkJobState(value);
  const r = checked ? ({ success: true, data: checked } as const) : await zodParse(value);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new Error(`${iss?.path.map(String).join('.') || 'file'}: ${iss?.message ?? 'invalid'}`);
  }
  if (job !== undefined && r.data.job !== job) throw new Error(`belongs to job '${r.data.job}', not '${job}'`);
  return r.data;
};

/** The job's state, or null before its first recorded run. Damaged -> StateFileCorruptError (UNKNOWN). */
export const readJobState = (stateDir: string, job: string): Promise<JobState | null> => readJson(jobStatePath(stateDir, job), (v) => parseJobState(v, job));

/** Mode 0640: the jobs/ directory decides who may read (0700 by default; widen it for a nagios group). */
export const writeJobState = async (stateDir: string, state: JobState): Promise<void> => {
  const checked = checkJobState(state);
  const r = checked ? ({ success: true, data: checked } as const) : await zodParse(state);
  // Never write what the checks would then refuse to read.
  if (!r.success) throw new InternalError(`refusing to write an invalid state for job ${state.job}: ${r.error.issues[0]?.message ?? ''}`);
  await writeJsonAtomic(jobStatePath(stateDir, state.job), r.data, 0o640);
};
