// The built `zfailover snapshot` / `prune` and `check_zfs_gaps` on bad input: every mistake is one UNKNOWN line
// (exit 3) that says what is wrong and where — for a bad policy value, the file, line and key. No ZFS needed:
// all of these fail before a zfs command would run.
import { nagiosSafe } from '../../src/cli/output.js';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, ROOT, STATUS_LINE, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const reason = cliBuilt();
const GOOD = `
templates:
  operator:
    schedules:
      frequent: {every: 5m, keep: 24}
      hourly: 24
      daily: {keep: 14, at: "23:59"}
      weekly: {keep: 4, on: sunday, at: "23:59"}
      monthly: {keep: 4, day: 1, at: "00:00"}
snapshots:
  - dataset: vol1/data
    recursive: true
    use: operator
`;

describe.skipIf(reason)(`snapshot/prune/check gaps: bad input is one UNKNOWN line${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('snapcli-')}`;
  const cfg = `${dir}/z.yml`;
  beforeAll(() => mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (bin: string, args: readonly string[]) => {
    const r = await execa(bin, [...args], { reject: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    return { code: r.exitCode, lines: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
  };
  const withConfig = async (yaml: string, args: readonly string[]) => {
    writeFileSync(cfg, yaml, { mode: 0o600 });
    return run(BIN, ['--config', cfg, '--state-dir', `${dir}/state`, ...args]);
  };

  test.each([
    ['every: 5m', 'every: 7m', 5, 'templates.operator.schedules.frequent.every: must be whole minutes that divide a day'],
    ['at: "23:59"}\n      weekly', 'at: "24:10"}\n      weekly', 7, 'templates.operator.schedules.daily.at: expected a time "HH:MM" between 00:00 and 23:59'],
    ['on: sunday', 'on: someday', 8, "templates.operator.schedules.weekly.on: expected a weekday (monday..sunday), got 'someday'"],
    ['day: 1,', 'day: 32,', 9, "templates.operator.schedules.monthly.day: expected a day 1..31 or 'last', got 32"],
    ['hourly: 24', 'hourly: -3', 6, 'templates.operator.schedules.hourly: keep must be a whole number 0..1000000, got -3'],
    ['use: operator', 'use: operater', 13, "snapshots[0].use: unknown template 'operater' (defined: operator)"],
    [
      'frequent: {every: 5m, keep: 24}',
      'frequent: {every: 5m, keep: 24, kep: 2}',
      5,
      "templates.operator.schedules.frequent.kep: unknown key (did you mean 'keep'?)",
    ],
    ['    use: operator', '    use: operator\n    time_zone: Mars/Olympus', 14, "snapshots[0].time_zone: unknown time zone 'Mars/Olympus'"],
  ])('config %j -> %j: exit 3 naming line %i and the key', async (from, to, line, message) => {
    const r = await withConfig(GOOD.replace(from, to), ['snapshot', '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(STATUS_LINE);
    expect(r.lines[0]?.startsWith(`UNKNOWN: config error: ${cfg}:${line}: `)).toBe(true);
    expect(r.lines[0]).toContain(nagiosSafe(message)); // the first line is Nagios-safe (no quotes)
    expect(r.stderr).toBe('');
    // prune and the gaps check read the same config and fail the same way.
    expect((await run(BIN, ['--config', cfg, 'prune', '--dry-run'])).lines[0]).toBe(r.lines[0]);
    expect((await run(`${ROOT}bin/check_zfs_gaps`, ['--config', cfg])).lines[0]).toBe(r.lines[0]);
  });

  test.each([
    [['snapshot', '--label', 'a_b', 'tank/x'], /^UNKNOWN: invalid --label a_b/],
    [['snapshot', '--label', 'hourly'], /^UNKNOWN: the drop-in needs DATASET\.\.\. or \/\//],
    [['snapshot', '--label', 'hourly', '//', 'tank/x'], /^UNKNOWN: \/\/ must be the only dataset argument/],
    [['snapshot', '--label', 'hourly', '--every', '7m', 'tank/x'], /^UNKNOWN: --every: whole minutes that divide a day/],
    [['snapshot', '--label', 'hourly', '--keep', '0', 'tank/x'], /^UNKNOWN: usage: .*not a positive whole number: 0/],
    [['snapshot', '--label', 'hourly', '--prune-names', 'zfailover,autosnap', 'tank/x'], /^UNKNOWN: --prune-names: autosnap is not one of/],
    [['snapshot', '--keep', '3', 'tank/x'], /^UNKNOWN: --keep, --every, -r, --exclude and --prune-names belong to the drop-in form/],
    [['snapshot', '--label', 'hourly', 'tank/x@snap'], /^UNKNOWN: invalid dataset tank\/x@snap/],
    [['snapshot', '--now', 'yesterday', '--label', 'hourly', 'tank/x'], /^UNKNOWN: usage: .*not an ISO time: yesterday/],
  ])('usage %j: one UNKNOWN line, exit 3', async (args, re) => {
    // No config file (the default path is optional for the drop-in); nothing is created in the state directory.
    const r = await run(BIN, ['--state-dir', `${dir}/untouched`, ...args]);
    expect(r.code).toBe(3);
    expect(r.lines[0]).toMatch(re);
    expect(existsSync(`${dir}/untouched`)).toBe(false);
  });

  test('config mode without snapshots entries, and a dataset that is not an entry', async () => {
    const none = await withConfig('jobs: {}\n', ['snapshot']);
    expect([none.code, none.lines[0]]).toEqual([3, `UNKNOWN: ${cfg}: no snapshots: entries (or use the drop-in: --label LABEL --keep N DATASET...)`]);
    const other = await withConfig(GOOD, ['snapshot', 'vol9/x']);
    expect([other.code, other.lines[0]]).toEqual([3, `UNKNOWN: vol9/x is not a snapshots: entry of ${cfg}`]);
  });

  test('check_zfs_gaps: --help and --version exit 3, a bad threshold is a usage error', async () => {
    const h = await run(`${ROOT}bin/check_zfs_gaps`, ['--help']);
    expect(h.code).toBe(3);
    expect(h.lines[0]).toBe('Usage: check_zfs_gaps [options] [datasets...]');
    const v = await run(`${ROOT}bin/check_zfs_gaps`, ['--version']);
    expect([v.code, v.lines[0]]).toEqual([3, 'check_zfs_gaps 0.1.0']);
    const w = await run(`${ROOT}bin/check_zfs_gaps`, ['-w', 'lots']);
    expect(w.code).toBe(3);
    expect(w.lines[0]).toMatch(/^UNKNOWN: usage: .*invalid range lots/);
  });
});
