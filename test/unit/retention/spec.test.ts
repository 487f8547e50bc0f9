// Retention config: templates layered in order, label defaults, replica keep counts, and one-line errors
// that name the key (through the real config loader).
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigFileError } from '../../../src/config/problems.js';
import { resolveKeepSpec, resolvePolicySpec, SpecError, type PolicySpec } from '../../../src/core/retention/spec.js';

const OPERATOR_YAML = `
templates:
  production:
    schedules:
      frequent: {every: 5m, keep: 24}
      hourly: 24
      daily: {keep: 14, at: "23:59"}
      weekly: {keep: 4, on: sunday, at: "23:59"}
      monthly: {keep: 4, day: 1, at: "00:00"}
snapshots:
  - dataset: vol1/data
    recursive: true
    use: production
    prune_names: [zfailover, zfs-auto-snap]
jobs:
  data:
    source: root@server1:vol1/data
    targets:
      - name: backup
        dataset: vol2/data
        keep: {hourly: 48, daily: 30, monthly: 12}
`;

const errorOf = (yaml: string): string => {
  try {
    parseConfigText(yaml, '/etc/zfailover/zfailover.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('retention config', () => {
  test('the operator cron lines as config: templates, overrides, replica keep', () => {
    const loaded = parseConfigText(OPERATOR_YAML, 'zfailover.yml');
    const entry = loaded.data.snapshots?.[0];
    expect(entry?.dataset).toEqual({ host: null, dataset: 'vol1/data' });
    const { policy, hooks } = resolvePolicySpec(entry as PolicySpec, loaded.data.templates ?? {}, ['snapshots', 0]);
    expect(policy.schedules.map((s) => [s.label, s.keep, s.period])).toEqual([
      ['frequent', 24, { kind: 'minutes', every: 5, offset: 0 }],
      ['hourly', 24, { kind: 'minutes', every: 60, offset: 0 }],
      ['daily', 14, { kind: 'daily', hour: 23, minute: 59 }],
      ['weekly', 4, { kind: 'weekly', weekday: 7, hour: 23, minute: 59 }],
      ['monthly', 4, { kind: 'monthly', day: 1, hour: 0, minute: 0 }],
    ]);
    expect(policy.prune).toEqual(['zfailover', 'zfs-auto-snap']);
    expect(policy.schedules[0]?.aliases).toEqual(['frequently']);
    expect(hooks).toEqual({ pre: null, post: null, timeoutSeconds: 30, onPreFailure: 'snapshot' });

    const keep = loaded.data.jobs?.data?.targets[0]?.keep;
    const replica = resolveKeepSpec(keep as never, policy, loaded.data.templates ?? {}, ['jobs', 'data', 'targets', 0, 'keep']);
    expect(replica?.schedules.map((s) => [s.label, s.keep])).toEqual([
      ['frequent', 24],
      ['hourly', 48],
      ['daily', 30],
      ['weekly', 4],
      ['monthly', 12],
    ]);
    expect(replica?.schedules[2]?.period).toEqual({ kind: 'daily', hour: 23, minute: 59 });
  });

  test('templates layer in order and the entry overrides field by field', () => {
    const templates: Record<string, PolicySpec> = {
      base: { timeZone: 'Europe/Berlin', schedules: { daily: { keep: 7, at: 23 * 60 + 59 }, hourly: { keep: 24 } } },
      deep: { use: ['base'], schedules: { daily: { keep: 30 } } },
    };
    const { policy } = resolvePolicySpec({ use: ['deep'], schedules: { hourly: { keep: 48, at: 15 } } }, templates, ['snapshots', 0]);
    expect(policy.timeZone).toBe('Europe/Berlin');
    expect(policy.schedules.map((s) => [s.label, s.keep, s.period])).toEqual([
      ['daily', 30, { kind: 'daily', hour: 23, minute: 59 }],
      ['hourly', 48, { kind: 'minutes', every: 60, offset: 15 }],
    ]);
  });

  test('problems name their key: unknown template, cycles, labels without a schedule, bad offsets', () => {
    const problems = (spec: PolicySpec, templates: Record<string, PolicySpec> = {}) => {
      try {
        resolvePolicySpec(spec, templates, ['snapshots', 2]);
      } catch (e) {
        return (e as SpecError).problems.map((p) => `${p.path.join('.')}: ${p.message}`);
      }
      return [];
    };
    expect(problems({ use: ['nope'] }, { prod: {} })).toEqual(["snapshots.2.use.0: unknown template 'nope' (defined: prod)"]);
    expect(problems({ use: ['a'] }, { a: { use: ['a'] } })).toEqual(["templates.a.use.0: template 'a' uses itself (a -> a)"]);
    expect(problems({ schedules: { nightly: { keep: 3 } } })).toEqual([
      "snapshots.2.schedules.nightly: label 'nightly' has no default schedule: give 'every' (e.g. 10m) or 'period' (hourly, daily, weekly, monthly, yearly)",
    ]);
    expect(problems({ schedules: { hourly: { keep: 3, at: 75 } } })).toEqual(['snapshots.2.schedules.hourly.at: offset must be below the interval']);
    expect(problems({ schedules: { daily: { keep: 3, on: 7 } } })).toEqual([
      "snapshots.2.schedules.daily.on: 'on' (a weekday) only applies to weekly schedules",
    ]);
    expect(problems({ schedules: { daily: { at: 60 } } })).toEqual(['snapshots.2.schedules.daily.keep: missing required key']);
    expect(problems({ schedules: { nightly: { keep: 7, period: 'daily', at: 120 } } })).toEqual([]);
  });

  test('bad policy values in the file: one line naming file, line and key', () => {
    const bad = (from: string, to: string) => errorOf(OPERATOR_YAML.replace(from, to));
    expect(bad('every: 5m', 'every: 7m')).toBe(
      "config error: /etc/zfailover/zfailover.yml:5: templates.production.schedules.frequent.every: must be whole minutes that divide a day (1m, 5m, 10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d), got '7m'",
    );
    expect(bad('at: "23:59"}\n      weekly', 'at: "25:00"}\n      weekly')).toMatch(
      /^config error: \/etc\/zfailover\/zfailover.yml:7: templates.production.schedules.daily.at: expected a time "HH:MM" between 00:00 and 23:59, got '25:00'$/,
    );
    expect(bad('hourly: 24', 'hourly: -1')).toMatch(/:6: templates.production.schedules.hourly: keep must be a whole number 0..1000000, got -1$/);
    expect(bad('on: sunday', 'on: sundae')).toMatch(/:8: templates.production.schedules.weekly.on: expected a weekday \(monday..sunday\), got 'sundae'$/);
    expect(bad('monthly: {keep: 4,', 'monthly: {kep: 4,')).toMatch(/:9: templates.production.schedules.monthly.kep: unknown key/);
    expect(bad('prune_names: [zfailover, zfs-auto-snap]', 'prune_names: [zfailover, autosnap]')).toMatch(
      /:14: snapshots\[0\].prune_names\[1\]: expected one of/,
    );
    expect(bad('keep: {hourly: 48,', 'keep: {hourly: many,')).toMatch(/:21: jobs.data.targets\[0\].keep.hourly: expected a keep count or a mapping/);
    expect(bad('    recursive: true\n', '    recursive: true\n    time_zone: Europe/Berlinn\n')).toMatch(
      /snapshots\[0\].time_zone: unknown time zone 'Europe\/Berlinn'/,
    );
    expect(bad('    recursive: true\n', '    recursive: true\n    exclude: [vol9/x]\n')).toMatch(
      /snapshots\[0\].exclude\[0\]: 'vol9\/x' is not below vol1\/data$/,
    );
    expect(bad('    recursive: true\n', '    recursive: true\n    hooks: {pre: "db-freeze --now"}\n')).toMatch(
      /snapshots\[0\].hooks.pre: give the command as a list/,
    );
  });
});
