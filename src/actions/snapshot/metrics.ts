// What a `zfailover snapshot` run tells Prometheus, per unit (a `snapshots:` entry or a drop-in dataset): the run
// families of core/metrics/run.ts and how many snapshots the run took, destroyed (drop-in) and found due. Pure.
// The unit's dataset is its `zfailover_job` label: entries have no job name.
import type { MetricFamily } from '../../core/metrics/exposition.js';
import { runFamilies, type RunCounters } from '../../core/metrics/run.js';
import type { UnitReport } from './execute.js';

export const snapshotFamilies = (r: UnitReport, run: { startedAt: number; finishedAt: number }, counters: RunCounters): MetricFamily[] => {
  const labels = { zfailover_job: r.unit };
  const one = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ labels, value }] });
  return [
    ...runFamilies({
      command: 'snapshot',
      job: r.unit,
      ...run,
      state: r.state,
      lastSuccessAt: counters.lastSuccessAt,
      consecutiveFailures: counters.consecutiveFailures,
      counters,
    }),
    one('zfailover_snapshot_last_run_taken_snapshots', 'Snapshots the last snapshot run took.', r.taken.length),
    one('zfailover_snapshot_last_run_destroyed_snapshots', 'Snapshots the last snapshot run destroyed (the drop-in keeps the newest N).', r.pruned.length),
    one('zfailover_snapshot_last_run_skipped_datasets', 'Datasets the last snapshot run left out (replicas, excluded, hooks failed).', r.skipped.length),
  ];
};
