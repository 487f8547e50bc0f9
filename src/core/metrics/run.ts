// Metric families every zfailover command run reports about itself (sync, snapshot, prune, promote, demote):
// when it last ran and succeeded, how it ended, how long it took, and the counters kept across processes.
// Pure: times are passed in. Labels are bounded: {command, zfailover_job} only.
import type { MetricFamily } from './exposition.js';

export type RunState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export const STATE_VALUE: Readonly<Record<RunState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Counters of one command for one job, kept in the state directory (they must survive processes). */
export interface RunCounters {
  readonly runs: number;
  readonly failures: number;
  /** Runs in a row that did not end OK. */
  readonly consecutiveFailures: number;
  /** End of the last run that ended OK, ms since the epoch, or null. */
  readonly lastSuccessAt: number | null;
  /** Bytes sent per target id (sync only; empty for the others). */
  readonly bytes: Readonly<Record<string, number>>;
}

export const ZERO_COUNTERS: RunCounters = { runs: 0, failures: 0, consecutiveFailures: 0, lastSuccessAt: null, bytes: {} };

/** The counters after one more run that ended at `finishedAt` in `state` and sent `bytes` per target. */
export const countRun = (prev: RunCounters, state: RunState, finishedAt: number, bytes: Readonly<Record<string, number>> = {}): RunCounters => {
  const next: Record<string, number> = { ...prev.bytes };
  for (const [t, b] of Object.entries(bytes)) next[t] = (next[t] ?? 0) + Math.max(0, b);
  const ok = state === 'OK';
  return {
    runs: prev.runs + 1,
    failures: prev.failures + (ok ? 0 : 1),
    consecutiveFailures: ok ? 0 : prev.consecutiveFailures + 1,
    lastSuccessAt: ok ? finishedAt : prev.lastSuccessAt,
    bytes: next,
  };
};

export interface RunFacts {
  readonly command: string;
  readonly job: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly state: RunState;
  /** Finish time of the last run that ended OK (this one or an earlier one), or null if none is known. */
  readonly lastSuccessAt: number | null;
  readonly consecutiveFailures: number;
  readonly counters: RunCounters;
}

const secs = (ms: number): number => ms / 1000;

export const runFamilies = (r: RunFacts): MetricFamily[] => {
  // `zfailover_job`, not `job`: Prometheus sets `job` to the scrape job and would rename ours to exported_job.
  const labels = { command: r.command, zfailover_job: r.job };
  const one = (name: string, help: string, value: number, type: 'gauge' | 'counter' = 'gauge'): MetricFamily => ({
    name,
    help,
    type,
    samples: [{ labels, value }],
  });
  return [
    one('zfailover_last_attempt_timestamp_seconds', 'Start time of the last run of this command for this job, unix seconds.', secs(r.startedAt)),
    ...(r.lastSuccessAt === null
      ? []
      : [one('zfailover_last_success_timestamp_seconds', 'End time of the last run that ended OK, unix seconds.', secs(r.lastSuccessAt))]),
    one('zfailover_last_run_state', 'How the last run ended: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the exit code).', STATE_VALUE[r.state]),
    one('zfailover_last_run_duration_seconds', 'Wall-clock duration of the last run, seconds.', Math.max(0, secs(r.finishedAt - r.startedAt))),
    one('zfailover_consecutive_failures', 'Runs in a row that did not end OK; 0 after a success.', r.consecutiveFailures),
    one('zfailover_runs_total', 'Runs of this command for this job (kept in the state directory).', r.counters.runs, 'counter'),
    one('zfailover_run_failures_total', 'Runs that did not end OK (kept in the state directory).', r.counters.failures, 'counter'),
  ];
};
