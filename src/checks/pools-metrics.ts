// What check health / check capacity tell Prometheus (metrics.textfile_dir): per host and pool, the health as a
// one-hot over zpool's states, and size/allocated/used ratio. Health and capacity are separate families in
// separate files (zfailover-check-health-<host>.prom, -capacity-): node_exporter refuses one series from two
// files. Pure; the run families come from core/metrics/run.ts with command=check.
import type { MetricFamily, Sample } from '../core/metrics/exposition.js';
import { runFamilies, type RunCounters, type RunState } from '../core/metrics/run.js';
import type { PoolInfo } from '../zfs/pool.js';

/** zpool(8) pool states; a state outside this list still gets its own sample. */
export const POOL_HEALTHS = ['ONLINE', 'DEGRADED', 'FAULTED', 'OFFLINE', 'UNAVAIL', 'REMOVED', 'SUSPENDED'] as const;

export interface PoolRunFacts {
  readonly check: 'health' | 'capacity';
  /** The metrics unit: `<check>-<host label>` (the file name and the zfailover_job label). */
  readonly unit: string;
  readonly host: string;
  readonly pools: readonly PoolInfo[];
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly state: RunState;
}

export const poolFamilies = (f: PoolRunFacts, counters: RunCounters): MetricFamily[] => {
  const family = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });
  const run = runFamilies({
    command: 'check',
    job: f.unit,
    startedAt: f.startedAt,
    finishedAt: f.finishedAt,
    state: f.state,
    lastSuccessAt: counters.lastSuccessAt,
    consecutiveFailures: counters.consecutiveFailures,
    counters,
  });
  if (f.check === 'health') {
    const samples: Sample[] = [];
    for (const p of f.pools) {
      const states = (POOL_HEALTHS as readonly string[]).includes(p.health) ? POOL_HEALTHS : [...POOL_HEALTHS, p.health];
      for (const h of states) samples.push({ labels: { host: f.host, pool: p.name, health: h }, value: h === p.health ? 1 : 0 });
    }
    return [...run, family('zfailover_pool_health', 'Pool state from zpool list (1 for the state it is in, 0 for the others).', samples)];
  }
  const labels = (p: PoolInfo) => ({ host: f.host, pool: p.name });
  return [
    ...run,
    family(
      'zfailover_pool_size_bytes',
      'Pool size from zpool list, bytes (approximate where zpool prints rounded sizes).',
      f.pools.map((p) => ({ labels: labels(p), value: p.size })),
    ),
    family(
      'zfailover_pool_allocated_bytes',
      'Pool space allocated, bytes.',
      f.pools.map((p) => ({ labels: labels(p), value: p.allocated })),
    ),
    family(
      'zfailover_pool_used_ratio',
      'Pool capacity used, 0..1 (zpool list CAP).',
      f.pools.map((p) => ({ labels: labels(p), value: p.capacity / 100 })),
    ),
  ];
};
