// The shipped prometheus/zfailover.rules.yml, loaded verbatim by the real promtool: `check rules` finds nothing,
// and `test rules` proves every alert fires when it should and stays quiet when it should not. The rule unit
// tests are built here; their rule_files entry points at the shipped file itself, never a copy.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify, parse } from 'yaml';
import { DEFAULT_THRESHOLDS } from '../../../src/checks/settings.js';
import { missingTools, PROMTOOL, privateDir, promtool } from '../../helpers/prometheus.js';
import { ROOT } from '../../helpers/cli.js';

const RULES = join(ROOT, 'prometheus/zfailover.rules.yml');
const tmp = privateDir('zfo-rules-');
afterAll(() => tmp.cleanup());

const node = { instance: 'db1:9100', job: 'node' };
const series = (name: string, labels: Record<string, string>, values: string) => ({
  series: `${name}{${Object.entries({ ...node, ...labels })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`,
  values,
});
const web = { zfailover_job: 'web' };
const dr = { ...web, target: 'dr', dataset: 'tank/my data' };
type Ann = { summary: string; description: string };
const alert = (alertname: string, eval_time: string, exp: [Record<string, string>, Ann][]) => ({
  alertname,
  eval_time,
  exp_alerts: exp.map(([l, a]) => ({ exp_labels: l, exp_annotations: a })),
});
const lagText = (sev: string, ago: string): Ann => ({
  summary: `Replica dr of tank/my data is ${ago} behind`,
  description:
    sev === 'warning'
      ? 'zfailover job web on db1:9100: the newest snapshot target dr shares with the source is older than the RPO warning threshold.'
      : 'zfailover job web on db1:9100: replica lag above the RPO critical threshold.',
});
const names = (): string[] =>
  (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
  );

// One test group per alert (or pair): series, then alerts expected at given times ([] = must not fire).
// Firing checks are 5 s after an evaluation tick: promtool may or may not count a tick at exactly eval_time,
// which would change the $value an annotation shows (seen: "5m 45s" for a check at 6m).
const groups = [
  {
    name: 'lag against the default RPO thresholds',
    interval: '15s',
    input_series: [
      series('zfailover_replication_common_snapshot_timestamp_seconds', dr, '0x40'),
      series('zfailover_last_attempt_timestamp_seconds', { command: 'sync', ...web }, '0x40'),
    ],
    alert_rule_test: [
      alert('ZfailoverReplicationLagWarning', '15s', []),
      alert('ZfailoverReplicationLagWarning', '50s', [[{ ...node, ...dr, severity: 'warning' }, lagText('warning', '45s')]]),
      alert('ZfailoverReplicationLagCritical', '105s', []),
      alert('ZfailoverReplicationLagCritical', '140s', [[{ ...node, ...dr, severity: 'critical' }, lagText('critical', '2m 15s')]]),
    ],
    promql_expr_test: [
      {
        expr: 'zfailover:replication_lag_seconds',
        eval_time: '1m',
        exp_samples: [
          { labels: `zfailover:replication_lag_seconds{instance="db1:9100",job="node",zfailover_job="web",target="dr",dataset="tank/my data"}`, value: 60 },
        ],
      },
      {
        expr: 'zfailover:replication_lag_threshold_seconds:critical',
        eval_time: '1m',
        exp_samples: [{ labels: 'zfailover:replication_lag_threshold_seconds:critical{instance="db1:9100",zfailover_job="web"}', value: 120 }],
      },
    ],
  },
  {
    name: 'lag against thresholds the config sets (checks.rpo)',
    interval: '15s',
    input_series: [
      series('zfailover_replication_common_snapshot_timestamp_seconds', dr, '0x40'),
      series('zfailover_last_attempt_timestamp_seconds', { command: 'sync', ...web }, '0x40'),
      series('zfailover_replication_lag_threshold_seconds', { ...web, severity: 'warning' }, '300x40'),
      series('zfailover_replication_lag_threshold_seconds', { ...web, severity: 'critical' }, '600x40'),
    ],
    alert_rule_test: [
      alert('ZfailoverReplicationLagWarning', '4m', []),
      alert('ZfailoverReplicationLagCritical', '4m', []),
      alert('ZfailoverReplicationLagWarning', '6m5s', [[{ ...node, ...dr, severity: 'warning' }, lagText('warning', '6m 0s')]]),
    ],
  },
  {
    name: 'failing cycles',
    interval: '1m',
    input_series: [series('zfailover_consecutive_failures', { command: 'sync', ...web }, '0 1 2 3 4 5 0')],
    alert_rule_test: [
      alert('ZfailoverSyncFailing', '3m', []),
      alert('ZfailoverSyncFailing', '4m5s', [
        [
          { ...node, command: 'sync', ...web, severity: 'warning' },
          { summary: 'zfailover sync of web failed 4 times in a row', description: 'No successful sync for 4 cycles on db1:9100; its status line says why.' },
        ],
      ]),
      alert('ZfailoverSyncFailing', '6m', []),
    ],
  },
  {
    name: 'sync stopped running',
    interval: '1m',
    input_series: [
      series('zfailover_last_attempt_timestamp_seconds', { command: 'sync', ...web }, '0x30'),
      series('zfailover_last_attempt_timestamp_seconds', { command: 'prune', ...web }, '0x30'),
    ],
    alert_rule_test: [
      alert('ZfailoverSyncNotRunning', '15m', []),
      alert('ZfailoverSyncNotRunning', '16m5s', [
        [
          { ...node, command: 'sync', ...web, severity: 'warning' },
          {
            summary: 'zfailover sync of web has not run for 16m 0s',
            description: 'Nothing runs zfailover sync --job web on db1:9100 any more (Monit, systemd timer or cron).',
          },
        ],
      ]),
    ],
  },
  {
    name: 'conflict',
    interval: '1m',
    input_series: [
      series('zfailover_replication_conflict', { ...web, target: 'dr', kind: 'diverged' }, '0 1 1'),
      series('zfailover_replication_conflict', { ...web, target: 'dr', kind: 'other' }, '0 0 0'),
    ],
    alert_rule_test: [
      alert('ZfailoverConflict', '0m', []),
      alert('ZfailoverConflict', '1m5s', [
        [
          { ...node, ...web, target: 'dr', kind: 'diverged', severity: 'critical' },
          {
            summary: 'Replication of web to dr is blocked: diverged',
            description: 'zfailover refuses to replicate until a person decides. The status line of its sync run on db1:9100 names the fix.',
          },
        ],
      ]),
    ],
  },
  {
    name: 'two primaries',
    interval: '1m',
    input_series: [
      series('zfailover_dataset_role', { ...web, side: 'source', target: '', dataset: 'tank/a', role: 'primary' }, '1 1'),
      series('zfailover_dataset_role', { ...web, side: 'target', target: 'dr', dataset: 'b/a', role: 'primary' }, '0 1'),
      series('zfailover_dataset_role', { ...web, side: 'target', target: 'dr', dataset: 'b/a', role: 'replica' }, '1 0'),
    ],
    alert_rule_test: [
      alert('ZfailoverTwoPrimaries', '0m', []),
      alert('ZfailoverTwoPrimaries', '1m5s', [
        [
          { instance: node.instance, ...web, severity: 'critical' },
          {
            summary: 'Two primaries in zfailover job web',
            description: 'Source and a target of web both have zfailover:role=primary: both may take writes (split brain).',
          },
        ],
      ]),
    ],
  },
  {
    name: 'resume stuck',
    interval: '5m',
    input_series: [series('zfailover_replication_resume_pending_since_timestamp_seconds', { ...web, target: 'dr' }, '0x20')],
    alert_rule_test: [
      alert('ZfailoverResumeStuck', '60m', []),
      alert('ZfailoverResumeStuck', '65m5s', [
        [
          { ...node, ...web, target: 'dr', severity: 'warning' },
          {
            summary: 'A partial receive to dr has waited 1h 5m 0s',
            description: 'zfailover job web keeps failing to resume an interrupted transfer on db1:9100.',
          },
        ],
      ]),
    ],
  },
  {
    name: 'pile-up above the ceiling',
    interval: '1m',
    input_series: [
      series('zfailover_retention_pileup_snapshots', { ...web, side: 'source', dataset: 'tank/a' }, '10 11'),
      series('zfailover_retention_pileup_ceiling_snapshots', { ...web, side: 'source', dataset: 'tank/a' }, '10 10'),
      series('zfailover_retention_pileup_snapshots', { ...web, side: 'source', dataset: 'tank/b' }, '3 3'),
      series('zfailover_retention_pileup_ceiling_snapshots', { ...web, side: 'source', dataset: 'tank/b' }, '10 10'),
    ],
    alert_rule_test: [
      alert('ZfailoverSnapshotPileUp', '0m', []),
      alert('ZfailoverSnapshotPileUp', '1m5s', [
        [
          { ...node, ...web, side: 'source', dataset: 'tank/a', severity: 'warning' },
          {
            summary: '11 snapshots piled up on tank/a for lagging targets',
            description:
              'Retention of web on db1:9100 keeps snapshots a lagging target still needs, above the ceiling. Bring the target back or raise the ceiling.',
          },
        ],
      ]),
    ],
  },
];

describe.skipIf(missingTools(PROMTOOL))('prometheus/zfailover.rules.yml in the real promtool', () => {
  it('passes promtool check rules with no findings', async () => {
    const r = await promtool(['check', 'rules', RULES]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.all).not.toMatch(/WARNING|error/i);
  });

  it('every shipped alert is unit-tested, firing and silent', () => {
    const tested = new Set(groups.flatMap((g) => g.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const silent = new Set(groups.flatMap((g) => g.alert_rule_test.filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
    for (const n of names()) {
      expect(tested, n).toContain(n);
      expect(silent, n).toContain(n);
    }
  });

  it('the default RPO thresholds in the rules are the check_zfs_rpo defaults', () => {
    const text = readFileSync(RULES, 'utf8');
    expect(text).toContain(`* 0 + ${DEFAULT_THRESHOLDS.rpo.warning!.end}\n`);
    expect(text).toContain(`* 0 + ${DEFAULT_THRESHOLDS.rpo.critical!.end}\n`);
  });

  it('passes promtool test rules', async () => {
    const file = join(tmp.dir, 'zfailover.rules.test.yml');
    writeFileSync(file, stringify({ rule_files: [RULES], evaluation_interval: '15s', tests: groups.map(({ name: _name, ...g }) => g) }));
    const r = await promtool(['test', 'rules', file]);
    expect(r.all).toContain('SUCCESS');
    expect(r.exitCode, r.all).toBe(0);
  });

  it('promtool test rules fails when an expectation is wrong (the harness can fail)', async () => {
    const file = join(tmp.dir, 'wrong.test.yml');
    const wrong = [
      {
        ...groups[2]!,
        alert_rule_test: [
          alert('ZfailoverSyncFailing', '3m', [
            [
              { ...node, command: 'sync', ...web, severity: 'warning' },
              { summary: 'x', description: 'y' },
            ],
          ]),
        ],
      },
    ];
    writeFileSync(file, stringify({ rule_files: [RULES], evaluation_interval: '15s', tests: wrong.map(({ name: _name, ...g }) => g) }));
    const r = await promtool(['test', 'rules', file]);
    expect(r.exitCode).not.toBe(0);
  });
});
