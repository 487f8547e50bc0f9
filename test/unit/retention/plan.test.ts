// The snapshot plan for one tree (which datasets, which labels, which calls) and the load-time retention
// problems of a config, on fabricated listings and config text.
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema/index.js';
import { parse as parseYamlText } from 'yaml';
import type { DatasetInfo, Listing } from '../../../src/core/dataset.js';
import { formatPeriodicSnapshotName } from '../../../src/core/names.js';
import { planSnapshots } from '../../../src/actions/snapshot/plan.js';
import { retentionProblems } from '../../../src/config/retention.js';
import { withKeep } from '../../../src/core/retention/policy.js';
import { operatorPolicy, own, Z } from './fixtures.js';

const ds = (name: string, extra: Record<string, string> = {}, versions = [] as DatasetInfo['versions'], role: DatasetInfo['role'] = null): DatasetInfo => ({
  name,
  type: 'filesystem',
  guid: '1',
  createtxg: 1,
  creation: 0,
  versions,
  written: null,
  resumeToken: null,
  readonly: null,
  role,
  roleSource: role ? 'local' : 'none',
  epoch: null,
  encryption: null,
  encryptionRoot: null,
  keyStatus: null,
  mountpoint: null,
  canmount: null,
  mounted: null,
  origin: null,
  used: null,
  available: null,
  referenced: null,
  extra,
});

const listing = (...d: DatasetInfo[]): Listing => ({ host: 'local', root: 'tank/data', exists: true, datasets: new Map(d.map((x) => [x.name, x])) });
const NOW = Z('2026-11-26T04:31:00Z');
const policy = withKeep(operatorPolicy(), { daily: 0, weekly: 0, monthly: 0 });

describe('snapshot plan', () => {
  test('a fresh tree: one call per label covering it all (-r is equivalent)', () => {
    const p = planSnapshots(listing(ds('tank/data'), ds('tank/data/a')), { root: 'tank/data', recursive: true, exclude: [], replicaTargets: [] }, policy, NOW);
    expect(p.calls).toEqual([
      { label: 'frequent', names: ['tank/data', 'tank/data/a'].map((d) => `${d}@${formatPeriodicSnapshotName('frequent', NOW)}`), wholeTree: true },
      { label: 'hourly', names: ['tank/data', 'tank/data/a'].map((d) => `${d}@${formatPeriodicSnapshotName('hourly', NOW)}`), wholeTree: true },
    ]);
  });

  test('exclusions, replicas, targets and opt-out properties are skipped; per-label opt-out only drops that label', () => {
    const p = planSnapshots(
      listing(
        ds('tank/data', {}, [own('hourly', '2026-11-26T04:00:00Z')]),
        ds('tank/data/tmp'),
        ds('tank/data/tmp/x'),
        ds('tank/data/copy', {}, [], 'replica'),
        ds('tank/data/in'),
        ds('tank/data/off', { 'com.sun:auto-snapshot': 'FALSE' }),
        ds('tank/data/nofreq', { 'com.sun:auto-snapshot:frequent': 'false' }),
      ),
      { root: 'tank/data', recursive: true, exclude: ['tank/data/tmp'], replicaTargets: ['tank/data/in'] },
      policy,
      NOW,
    );
    expect(p.skipped.map((s) => [s.dataset, s.why])).toEqual([
      ['tank/data/tmp', 'excluded (tank/data/tmp)'],
      ['tank/data/tmp/x', 'excluded (tank/data/tmp)'],
      ['tank/data/copy', 'a replica (zfailover:role=replica)'],
      ['tank/data/in', 'a replication target (tank/data/in)'],
      ['tank/data/off', 'com.sun:auto-snapshot=false'],
    ]);
    expect(Object.fromEntries(p.due)).toEqual({ 'tank/data': ['frequent'], 'tank/data/nofreq': ['hourly'] });
    expect(p.calls.map((c) => [c.label, c.names.length, c.wholeTree])).toEqual([
      ['frequent', 1, false],
      ['hourly', 1, false],
    ]);
  });
});

describe('load-time retention problems', () => {
  // The schema alone (parseConfigText now reports these problems itself, with lines: tested below).
  const problems = (yaml: string) => retentionProblems(configSchema.parse(parseYamlText(yaml))).map((p) => `${p.path.join('.')}: ${p.message}`);

  test('unknown templates, schedules without keep, replica labels nobody schedules', () => {
    expect(
      problems(`
templates:
  base: {schedules: {daily: {at: "23:59"}}}
snapshots:
  - {dataset: tank/a, use: [base, nope]}
  - {dataset: tank/b, schedules: {every5: {every: 5m, keep: 3}}}
jobs:
  j:
    source: tank/b
    targets: [{name: r, dataset: tank2/b, keep: {every5: 12, nightly: 3, use: gone}}]
`),
    ).toEqual([
      "snapshots.0.use.1: unknown template 'nope' (defined: base)",
      'templates.base.schedules.daily.keep: missing required key',
      "jobs.j.targets.0.keep.use.0: unknown template 'gone' (defined: base)",
      "jobs.j.targets.0.keep.nightly: label 'nightly' has no default schedule: give 'every' (e.g. 10m) or 'period' (hourly, daily, weekly, monthly, yearly)",
    ]);
  });

  test('loading the config reports them, with their lines, for every command', () => {
    const err = (() => {
      try {
        parseConfigText('snapshots:\n  - {dataset: tank/a, use: [nope]}\n', 'z.yml');
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toBe("config error: z.yml:2: snapshots[0].use[0]: unknown template 'nope' (no templates are defined)");
  });

  test('a sound config has none', () => {
    expect(problems('snapshots:\n  - {dataset: tank/a, schedules: {hourly: 24, daily: {keep: 7, at: "23:59"}}}\n')).toEqual([]);
  });
});
