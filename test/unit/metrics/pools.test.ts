// check health / capacity metrics: health one-hot over zpool's states (an unlisted state still gets a sample),
// sizes and used ratio, and the rendered files pass the real `promtool check metrics`.
import { describe, expect, it } from 'vitest';
import { poolFamilies, type PoolRunFacts } from '../../../src/checks/pools-metrics.js';
import { renderExposition } from '../../../src/core/metrics/exposition.js';
import { ZERO_COUNTERS } from '../../../src/core/metrics/run.js';
import { missingTools, PROMTOOL, promtool } from '../../helpers/prometheus.js';

const pool = (name: string, health: string) => ({ name, size: 1000, allocated: 250, free: 750, capacity: 25, health, exact: true });
const facts = (check: 'health' | 'capacity'): PoolRunFacts => ({
  check,
  unit: `${check}-root@b:2222`,
  host: 'root@b:2222',
  pools: [pool('tank', 'ONLINE'), pool('backup', 'WEIRD')],
  startedAt: 1_700_000_000_000,
  finishedAt: 1_700_000_000_300,
  state: 'OK',
});

describe('pool metrics', () => {
  it('health: one-hot per pool, an unknown state kept', () => {
    const h = poolFamilies(facts('health'), ZERO_COUNTERS).find((f) => f.name === 'zfailover_pool_health')!;
    expect(h.samples.filter((s) => s.value === 1).map((s) => `${s.labels.pool}:${s.labels.health}`)).toEqual(['tank:ONLINE', 'backup:WEIRD']);
  });
  it('capacity: size, allocated, used ratio', () => {
    const fams = poolFamilies(facts('capacity'), ZERO_COUNTERS);
    expect(fams.find((f) => f.name === 'zfailover_pool_used_ratio')!.samples[0]).toEqual({ labels: { host: 'root@b:2222', pool: 'tank' }, value: 0.25 });
    expect(fams.some((f) => f.name === 'zfailover_pool_health')).toBe(false);
  });
  it.skipIf(missingTools(PROMTOOL))('both files pass promtool check metrics with no findings', async () => {
    for (const check of ['health', 'capacity'] as const) {
      const r = await promtool(['check', 'metrics'], { input: renderExposition(poolFamilies(facts(check), ZERO_COUNTERS)) });
      expect(r.all, check).toBe('');
    }
  });
});
