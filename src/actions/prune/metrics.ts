// What a prune run tells Prometheus, per job (or `snapshots:` entry): the run families of core/metrics/run.ts
// plus, per side and dataset, the snapshots listed and the pile-up held back for lagging targets against its
// ceiling (the numbers the job check reads from the prune state). Pure.
import type { MetricFamily, Sample } from '../../core/metrics/exposition.js';
import { runFamilies, type RunCounters, type RunState } from '../../core/metrics/run.js';
import type { PruneState } from './state.js';

export const pruneFamilies = (s: PruneState, run: { startedAt: number; finishedAt: number; state: RunState }, counters: RunCounters): MetricFamily[] => {
  const snapshots: Sample[] = [];
  const pile: Sample[] = [];
  const kept: Sample[] = [];
  const ceiling: Sample[] = [];
  const seen = new Set<string>();
  for (const d of s.datasets) {
    const labels = { zfailover_job: s.name, side: d.side, dataset: d.name };
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue; // the same dataset reached twice (a shared source): counted once
    seen.add(key);
    snapshots.push({ labels, value: d.snapshots });
    pile.push({ labels, value: d.count });
    kept.push({ labels, value: d.kept });
    ceiling.push({ labels, value: d.ceiling });
  }
  const family = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });
  return [
    ...runFamilies({
      command: 'prune',
      job: s.name,
      ...run,
      lastSuccessAt: counters.lastSuccessAt,
      consecutiveFailures: counters.consecutiveFailures,
      counters,
    }),
    family('zfailover_retention_snapshots', 'Snapshots listed on this dataset by the last prune.', snapshots),
    family('zfailover_retention_pileup_snapshots', 'Snapshots retention would destroy that lagging targets still need (pile-up).', pile),
    family('zfailover_retention_pileup_kept_snapshots', 'Of the pile-up, snapshots kept (at most the ceiling; the oldest beyond it go).', kept),
    family('zfailover_retention_pileup_ceiling_snapshots', 'Most snapshots retention keeps for lagging targets on this dataset.', ceiling),
  ];
};
