// Probe and wiring of check job: the state file and lock of each selected job, and (unless --no-zfs) one
// listing per side to see whether each replica's common snapshot is protected.
import type { CommandResult } from '../cli/result.js';
import { runCheck } from '../plugin/check.js';
import { jobStatePath } from '../state/dir.js';
import { readJobState } from '../state/job-state.js';
import { inspectLock } from '../state/lock.js';
import type { JobSpec } from '../sync/job.js';
import { RunnerPool } from '../sync/runners.js';
import type { ChecksConfig } from '../config/schema/checks.js';
import { evaluateJobs, type JobData } from './job.js';
import { protectionOf, type Protection } from './protection.js';
import { probeJobs } from './replication-probe.js';
import type { CheckInput } from './run.js';
import { selectJobs } from './selection.js';
import { resolveTimeout, thresholdsFor } from './settings.js';

export interface JobCliOptions {
  zfs?: boolean;
  failuresWarning?: number;
  failuresCritical?: number;
  maxRuntime?: number;
}

const DEFAULT_FAILURES_WARNING = 3;
const DEFAULT_MAX_RUNTIME = 15 * 60;

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

const probe = async (jobs: readonly JobSpec[], stateDir: string, withZfs: boolean, pool: RunnerPool, signal: AbortSignal, now: number): Promise<JobData[]> => {
  const listings = withZfs ? await probeJobs(jobs, { pool, signal, now: now / 1000, estimate: false, maxEstimates: 0 }) : null;
  return Promise.all(
    jobs.map(async (job, i) => {
      const [state, lock] = await Promise.all([readJobState(stateDir, job.id).catch(asError), inspectLock(stateDir, job.id).catch(() => null)]);
      const protection = new Map<string, Protection | Error>();
      const l = listings?.[i];
      if (l) {
        for (const t of l.targets) {
          if (t.error !== null) protection.set(t.target.id, asError(t.error));
          else if (l.source === null) protection.set(t.target.id, asError(l.sourceError));
          else protection.set(t.target.id, protectionOf(job.id, t.pairs));
        }
      }
      return { job, statePath: jobStatePath(stateDir, job.id), state, lock, protection };
    }),
  );
};

export const runJobCheck = async (input: CheckInput & { opts: CheckInput['opts'] & JobCliOptions }): Promise<CommandResult> => {
  const { ctx, opts } = input;
  const sel = await selectJobs(input);
  const checks = sel.config.data.checks as ChecksConfig;
  const jc = checks?.job;
  const pool = new RunnerPool(sel.stateDir, ctx.now, ctx.env);
  try {
    return await runCheck({
      timeoutSec: resolveTimeout(opts.timeout, checks),
      signal: ctx.signal,
      probe: (signal) => probe(sel.jobs, sel.stateDir, opts.zfs !== false, pool, signal, ctx.now()),
      evaluate: (data) =>
        evaluateJobs(data, {
          thresholds: thresholdsFor('job', opts, checks),
          failuresWarning: opts.failuresWarning ?? jc?.failures_warning ?? DEFAULT_FAILURES_WARNING,
          failuresCritical: opts.failuresCritical ?? jc?.failures_critical ?? null,
          maxRuntime: opts.maxRuntime ?? jc?.max_runtime ?? DEFAULT_MAX_RUNTIME,
          now: ctx.now(),
          maxDetails: opts.maxLines,
        }),
    });
  } finally {
    await pool.closeAll();
  }
};
