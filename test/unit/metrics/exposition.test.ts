// The exposition renderer: HELP/TYPE per family, escaping that no label value can break out of, refusals of
// names promtool would reject; and the whole sync output passes the real `promtool check metrics`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, renderExposition, type MetricFamily } from '../../../src/core/metrics/exposition.js';
import { syncFamilies, upperBound } from '../../../src/sync/metrics.js';
import { missingTools, PROMTOOL, promtool } from '../../helpers/prometheus.js';
import { job, report, sourceListing, state, targetRoots } from './fixtures.js';

const unescape = (s: string): string => s.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));

describe('renderExposition', () => {
  it('writes HELP and TYPE once per family, sorted, labels sorted', () => {
    const text = renderExposition([
      { name: 'zfailover_b', help: 'B.', type: 'gauge', samples: [{ labels: { z: '1', a: '2' }, value: 1.5 }] },
      { name: 'zfailover_a_total', help: 'A\\x\nnext', type: 'counter', samples: [{ labels: {}, value: 3 }] },
      { name: 'zfailover_empty', help: 'E.', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP zfailover_a_total A\\\\x\\nnext',
        '# TYPE zfailover_a_total counter',
        'zfailover_a_total 3',
        '# HELP zfailover_b B.',
        '# TYPE zfailover_b gauge',
        'zfailover_b{a="2",z="1"} 1.5',
        '',
      ].join('\n'),
    );
  });

  it('refuses what promtool would reject', () => {
    const f = (over: Partial<MetricFamily>): MetricFamily => ({ name: 'zfailover_x', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 1 }], ...over });
    expect(() => renderExposition([f({ name: 'bad-name' })])).toThrow(/invalid metric name/);
    expect(() => renderExposition([f({ type: 'counter' })])).toThrow(/_total/);
    expect(() => renderExposition([f({ samples: [{ labels: { 'a b': 'x' }, value: 1 }] })])).toThrow(/label name/);
    expect(() => renderExposition([f({}), f({})])).toThrow(/twice/);
    expect(() =>
      renderExposition([
        f({
          samples: [
            { labels: { a: '1' }, value: 1 },
            { labels: { a: '1' }, value: 2 },
          ],
        }),
      ]),
    ).toThrow(/twice/);
  });

  it('formats special values', () => {
    const v = (value: number) => renderExposition([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: {}, value }] }]).split('\n')[2];
    expect([v(NaN), v(Infinity), v(-Infinity), v(-0), v(1e21)]).toEqual(['m NaN', 'm +Inf', 'm -Inf', 'm 0', 'm 1e+21']);
  });

  it('no label value breaks a sample out of its line, and every value reads back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const text = renderExposition([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { l: value }, value: 1 }] }]);
        const lines = text.trimEnd().split('\n');
        expect(lines).toHaveLength(3);
        const m = /^m\{l="((?:[^"\\]|\\.)*)"\} 1$/.exec(lines[2]!);
        expect(m).not.toBeNull();
        expect(unescape(m![1]!)).toBe(value);
        expect(escapeLabelValue(value)).toBe(m![1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sync families', () => {
  const families = syncFamilies({
    job,
    state,
    report,
    counters: { runs: 7, failures: 3, bytes: { dr: 10_000 } },
    source: sourceListing,
    targetRoots,
    now: 3_600_000,
    settings: { lagCritical: 120 },
  });
  const text = renderExposition(families);
  // The value of the sample of `name` whose labels are exactly `labels` (given in any order).
  const sample = (name: string, labels: string): string | undefined => {
    const want = labels
      .split(/,(?=[a-z_]+=")/)
      .sort()
      .join(',');
    return text
      .split('\n')
      .find((l) => l.startsWith(`${name}{${want}}`))
      ?.split(' ')
      .pop();
  };

  it('reports lag, behind, conflict, resume, role and epoch per target and dataset', () => {
    const dr = 'dataset="tank/my \\"data\\"",zfailover_job="web-1",target="dr"';
    expect(sample('zfailover_replication_lag_seconds', dr)).toBe('600');
    expect(sample('zfailover_replication_snapshots_behind', dr)).toBe('0');
    expect(sample('zfailover_replication_snapshots_behind', 'dataset="tank/my \\"data\\"/child",zfailover_job="web-1",target="dr"')).toBe('1');
    expect(sample('zfailover_replication_snapshots_behind', 'dataset="tank/my \\"data\\"",zfailover_job="web-1",target="far.away"')).toBe('2');
    expect(sample('zfailover_replication_lag_seconds', 'dataset="tank/my \\"data\\"",zfailover_job="web-1",target="far.away"')).toBe('2600');
    expect(sample('zfailover_replication_conflict', 'zfailover_job="web-1",kind="diverged",target="far.away"')).toBe('1');
    expect(sample('zfailover_replication_conflict', 'zfailover_job="web-1",kind="diverged",target="dr"')).toBe('0');
    expect(sample('zfailover_replication_resume_pending', 'zfailover_job="web-1",target="dr"')).toBe('1');
    expect(sample('zfailover_replication_resume_pending_since_timestamp_seconds', 'zfailover_job="web-1",target="dr"')).toBe('3500');
    expect(sample('zfailover_dataset_role', 'dataset="tank/my \\"data\\"",zfailover_job="web-1",role="primary",side="source",target=""')).toBe('1');
    expect(sample('zfailover_dataset_role', 'dataset="backup/data",zfailover_job="web-1",role="replica",side="target",target="dr"')).toBe('1');
    expect(sample('zfailover_dataset_epoch', 'dataset="backup/data",zfailover_job="web-1",side="target",target="dr"')).toBe('2');
    expect(sample('zfailover_last_run_state', 'command="sync",zfailover_job="web-1"')).toBe('2');
    expect(sample('zfailover_last_run_duration_seconds', 'command="sync",zfailover_job="web-1"')).toBe('10');
    expect(sample('zfailover_runs_total', 'command="sync",zfailover_job="web-1"')).toBe('7');
    expect(sample('zfailover_sync_sent_bytes_total', 'zfailover_job="web-1",target="dr"')).toBe('10000');
    expect(sample('zfailover_sync_sent_bytes_total', 'zfailover_job="web-1",target="far.away"')).toBe('0');
    expect(sample('zfailover_sync_last_run_sent_bytes', 'zfailover_job="web-1",target="dr"')).toBe('4096');
  });

  it('carries the configured RPO threshold, and only a plain upper bound becomes one', () => {
    expect(sample('zfailover_replication_lag_threshold_seconds', 'severity="critical",zfailover_job="web-1"')).toBe('120');
    expect(sample('zfailover_replication_lag_threshold_seconds', 'severity="warning",zfailover_job="web-1"')).toBeUndefined();
    expect(upperBound({ start: 0, end: 30, invert: false })).toBe(30);
    expect(upperBound({ start: -Infinity, end: 30, invert: false })).toBe(30);
    expect(upperBound({ start: 0, end: 30, invert: true })).toBeUndefined();
    expect(upperBound({ start: 10, end: Infinity, invert: false })).toBeUndefined();
    expect(upperBound(undefined)).toBeUndefined();
  });

  it('never puts a snapshot name in a label', () => {
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).not.toMatch(/"(a|b|c)"/);
  });

  it.skipIf(missingTools(PROMTOOL))('passes promtool check metrics with no findings', async () => {
    const r = await promtool(['check', 'metrics'], { input: text });
    expect(r.all).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
