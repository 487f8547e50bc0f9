// The shipped Grafana dashboard (grafana/zfailover-dashboard.json): valid JSON, and every metric its queries
// name is one zfailover writes or one the shipped rules record, so no panel stays empty because of a typo.
// (test/zfs/metrics-prometheus.test.ts runs every query in a real Prometheus too.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderExposition } from '../../../src/core/metrics/exposition.js';
import { ZERO_COUNTERS } from '../../../src/core/metrics/run.js';
import { pruneFamilies } from '../../../src/actions/prune/metrics.js';
import { syncFamilies } from '../../../src/sync/metrics.js';
import { ROOT } from '../../helpers/cli.js';
import { DASHBOARD, dashboardQueries } from '../../helpers/prometheus.js';
import { job, report, sourceListing, state, targetRoots } from '../metrics/fixtures.js';

const emitted = (): Set<string> => {
  const pruneState = {
    version: 1 as const,
    name: 'web-1',
    at: 0,
    datasets: [{ side: 'source', name: 'tank/a', snapshots: 3, count: 1, kept: 1, ceiling: 10 }],
  };
  const text =
    renderExposition(
      syncFamilies({
        job,
        state,
        report,
        counters: ZERO_COUNTERS,
        source: sourceListing,
        targetRoots,
        now: 3_600_000,
        settings: { lagWarning: 1, lagCritical: 2 },
      }),
    ) + renderExposition(pruneFamilies(pruneState, { startedAt: 0, finishedAt: 1, state: 'OK' }, ZERO_COUNTERS));
  return new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
};

const recorded = (): Set<string> => {
  const rules = parse(readFileSync(join(ROOT, 'prometheus/zfailover.rules.yml'), 'utf8')) as { groups: { rules: { record?: string }[] }[] };
  return new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
};

describe('grafana/zfailover-dashboard.json', () => {
  it('is valid JSON with panels that each query Prometheus', () => {
    const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: unknown[]; datasource: { uid: string } }[]; uid: string };
    expect(d.uid).toBe('zfailover-replication');
    expect(d.panels.length).toBeGreaterThanOrEqual(8);
    for (const p of d.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.datasource.uid).toBe('${datasource}');
    }
  });

  it('every metric a query names is written by zfailover or recorded by the shipped rules', () => {
    const known = new Set([...emitted(), ...recorded()]);
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      // Metric names only: label matchers, $variables and label_values' label argument left out.
      const bare = q
        .replace(/\{[^}]*\}/g, '')
        .replace(/\$\w+/g, '')
        .replace(/^label_values\(([^,)]*)[,)].*$/, '$1');
      const names = [...bare.matchAll(/\bzfailover[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
      expect(names.length, q).toBeGreaterThan(0);
      for (const n of names) expect(known, `${n} in ${q}`).toContain(n);
    }
  });

  it('the panels cover lag, transfer sizes and durations, and states', () => {
    const q = dashboardQueries().join('\n');
    for (const n of [
      'zfailover:replication_lag_seconds',
      'zfailover_sync_last_run_sent_bytes',
      'zfailover:sync_sent_bytes:rate5m',
      'zfailover_last_run_duration_seconds',
      'zfailover_last_run_state',
      'zfailover_replication_conflict',
    ]) {
      expect(q).toContain(n);
    }
  });
});
