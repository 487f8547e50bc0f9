// Publishes a promote/demote run's metrics (metrics.textfile_dir; off when unset): the families of ./metrics.ts,
// the counters through state/metrics.ts. Never throws and never changes the run's outcome.
import type { Logger } from 'pino';
import type { LoadedConfig } from '../../config/loaded.js';
import type { RunState } from '../../core/metrics/run.js';
import { publishRunMetrics } from '../../state/metrics.js';
import { failoverFamilies, failoverOutcome } from './metrics.js';
import { readRecord } from './record.js';

export interface FailoverRun {
  readonly loaded: LoadedConfig;
  readonly stateDir: string;
  readonly command: 'promote' | 'demote';
  readonly job: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly outcome: { readonly state: RunState; readonly changed: boolean; readonly refusal: unknown };
  readonly epoch: number | null;
  /** The side that serves after this run, when it ended OK. */
  readonly primary: string | null;
  readonly log: Logger;
}

export const publishFailoverMetrics = async (r: FailoverRun): Promise<void> => {
  const textfileDir = r.loaded.data.metrics?.textfile_dir;
  if (textfileDir === undefined) return;
  // The record's `done` time is the last finished switch, this run's or an earlier one (a refusal keeps it).
  const record = await readRecord(r.stateDir, r.command, r.job).catch(() => null);
  const lastSwitchAt = record?.phase === 'done' ? record.updatedAt : null;
  await publishRunMetrics({
    textfileDir,
    stateDir: r.stateDir,
    command: r.command,
    job: r.job,
    state: r.outcome.state,
    finishedAt: r.finishedAt,
    log: r.log,
    families: (counters) =>
      failoverFamilies(
        {
          command: r.command,
          job: r.job,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt,
          state: r.outcome.state,
          outcome: failoverOutcome(r.outcome),
          epoch: r.epoch,
          primary: r.outcome.state === 'OK' ? r.primary : null,
          lastSwitchAt,
        },
        counters,
      ),
  });
};
