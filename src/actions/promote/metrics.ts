// What a promote or demote run tells Prometheus, per job: the run families of core/metrics/run.ts plus the
// failover facts a fleet dashboard needs: the epoch the job is at, which side is primary after the run, when
// the last switch finished, and how this run ended (switched / unchanged / refused / failed). Pure. Family
// names are their own (sync's zfailover_dataset_role/_epoch carry other labels): node_exporter refuses one
// series from two files.
import type { MetricFamily, Sample } from '../../core/metrics/exposition.js';
import { runFamilies, type RunCounters, type RunState } from '../../core/metrics/run.js';

export const FAILOVER_OUTCOMES = ['switched', 'unchanged', 'refused', 'failed'] as const;
export type FailoverOutcome = (typeof FAILOVER_OUTCOMES)[number];

export interface FailoverFacts {
  readonly command: 'promote' | 'demote';
  readonly job: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly state: RunState;
  readonly outcome: FailoverOutcome;
  /** The epoch the job's sides carry after this run, when known. */
  readonly epoch: number | null;
  /** The side (as in the config: [user@]host[:port]:pool/ds) that is primary after a run that ended OK. */
  readonly primary: string | null;
  /** End of the last run of this command that finished its switch (the record's `done`), ms; null if none. */
  readonly lastSwitchAt: number | null;
}

/** How a run ended, from its outcome: refused before any change, failed after one, or done. */
export const failoverOutcome = (o: { readonly state: RunState; readonly changed: boolean; readonly refusal: unknown }): FailoverOutcome =>
  o.refusal !== null ? 'refused' : o.state === 'CRITICAL' || o.state === 'UNKNOWN' ? 'failed' : o.changed ? 'switched' : 'unchanged';

export const failoverFamilies = (f: FailoverFacts, counters: RunCounters): MetricFamily[] => {
  const labels = { command: f.command, zfailover_job: f.job };
  const family = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });
  return [
    ...runFamilies({
      command: f.command,
      job: f.job,
      startedAt: f.startedAt,
      finishedAt: f.finishedAt,
      state: f.state,
      lastSuccessAt: counters.lastSuccessAt,
      consecutiveFailures: counters.consecutiveFailures,
      counters,
    }),
    family(
      'zfailover_failover_outcome',
      'How the last run ended: 1 for its outcome (switched, unchanged, refused, failed), 0 for the others.',
      FAILOVER_OUTCOMES.map((o) => ({ labels: { ...labels, outcome: o }, value: o === f.outcome ? 1 : 0 })),
    ),
    ...(f.epoch === null
      ? []
      : [
          family('zfailover_failover_epoch', 'Promotion epoch the job is at after the last run (zfailover:epoch of the primary).', [
            { labels, value: f.epoch },
          ]),
        ]),
    ...(f.primary === null
      ? []
      : [
          family('zfailover_failover_primary_info', 'The side that is primary after the last run that ended OK (always 1).', [
            { labels: { ...labels, primary: f.primary }, value: 1 },
          ]),
        ]),
    ...(f.lastSwitchAt === null
      ? []
      : [
          family('zfailover_failover_last_switch_timestamp_seconds', 'End of the last run of this command that finished its switch, unix seconds.', [
            { labels, value: f.lastSwitchAt / 1000 },
          ]),
        ]),
  ];
};
