// promote/demote metrics (issue 16): outcome from a run's result, the families a run publishes (one-hot
// outcome, epoch and primary only when known), and the rendered file passes the real `promtool check metrics`.
import { describe, expect, it } from 'vitest';
import { failoverFamilies, failoverOutcome, type FailoverFacts } from '../../../src/actions/promote/metrics.js';
import { renderExposition } from '../../../src/core/metrics/exposition.js';
import { ZERO_COUNTERS } from '../../../src/core/metrics/run.js';
import { missingTools, PROMTOOL, promtool } from '../../helpers/prometheus.js';

const facts = (f: Partial<FailoverFacts> = {}): FailoverFacts => ({
  command: 'promote',
  job: 'data',
  startedAt: 1_700_000_000_000,
  finishedAt: 1_700_000_004_500,
  state: 'OK',
  outcome: 'switched',
  epoch: 3,
  primary: 'root@dr:2222:pool/my data',
  lastSwitchAt: 1_700_000_004_000,
  ...f,
});
const counters = { ...ZERO_COUNTERS, runs: 2, failures: 1, lastSuccessAt: 1_700_000_004_500 };

describe('failover metrics', () => {
  it('outcome: refused before a change, failed after one, switched or unchanged', () => {
    expect(failoverOutcome({ state: 'CRITICAL', changed: false, refusal: { conflict: 'unsafe' } })).toBe('refused');
    expect(failoverOutcome({ state: 'CRITICAL', changed: true, refusal: null })).toBe('failed');
    expect(failoverOutcome({ state: 'WARNING', changed: true, refusal: null })).toBe('switched');
    expect(failoverOutcome({ state: 'OK', changed: false, refusal: null })).toBe('unchanged');
  });
  it('one-hot outcome; epoch, primary and last switch only when known', () => {
    const all = failoverFamilies(facts(), counters);
    const get = (name: string) => all.find((f) => f.name === name);
    expect(
      get('zfailover_failover_outcome')!
        .samples.filter((s) => s.value === 1)
        .map((s) => s.labels.outcome),
    ).toEqual(['switched']);
    expect(get('zfailover_failover_epoch')!.samples[0]!.value).toBe(3);
    expect(get('zfailover_failover_primary_info')!.samples[0]!.labels.primary).toBe('root@dr:2222:pool/my data');
    expect(get('zfailover_failover_last_switch_timestamp_seconds')!.samples[0]!.value).toBe(1_700_000_004);
    const refused = failoverFamilies(facts({ state: 'CRITICAL', outcome: 'refused', epoch: null, primary: null, lastSwitchAt: null }), counters).map(
      (f) => f.name,
    );
    expect(refused).not.toContain('zfailover_failover_epoch');
    expect(refused).not.toContain('zfailover_failover_primary_info');
    expect(refused).not.toContain('zfailover_failover_last_switch_timestamp_seconds');
  });
  it.skipIf(missingTools(PROMTOOL))('promote and demote files pass promtool check metrics with no findings', async () => {
    for (const f of [facts(), facts({ command: 'demote', state: 'CRITICAL', outcome: 'refused', epoch: null, primary: null })]) {
      const r = await promtool(['check', 'metrics'], { input: renderExposition(failoverFamilies(f, counters)) });
      expect(r.all, f.command).toBe('');
      expect(r.exitCode).toBe(0);
    }
  });
});
