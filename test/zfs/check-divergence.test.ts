// check_zfs_divergence on real ZFS (zfs-fuse): one replica staged per relation with plain zfs commands, all
// checked at once through a config with one job each (--all), then one by one for state, exit code and fix.
// target-modified needs the `written` property, which zfs-fuse lacks: it is staged in test/cli/check-contract.
import { writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { judge } from '../cli/check-oracles.js';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, createPool, ensureDir, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('ckdiv-')}`;
const divergence = async (...args: string[]) => {
  const r = await execa(`${ROOT}bin/check_zfs_divergence`, [...args, '--state-dir', `${DIR}/state`], { reject: false, env: { PATH: '/usr/bin:/bin' } });
  return { ...judge(r.stdout, r.exitCode ?? -1), code: r.exitCode, stdout: r.stdout };
};
const replicate = async (from: string, to: string): Promise<void> => {
  await execa('bash', ['-c', 'set -o pipefail; zfs send "$1" | zfs recv "$2"', 'x', from, to]);
};

/** relation -> [expected state, expected start of the text after `<target>: `] */
const CASES = {
  insync: ['OK', 'in sync at @a'],
  behind: ['OK', 'behind by 1 snapshot (common @a)'],
  newer: ['CRITICAL', 'target-newer: '],
  diverged: ['CRITICAL', 'diverged: '],
  pruned: ['CRITICAL', 'no-common-snapshot: '],
  primaries: ['CRITICAL', 'two primaries: '],
  absent: ['WARNING', 'target dataset does not exist yet'],
} as const;

describe.skipIf(reason)(`check_zfs_divergence on zfs-fuse${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let P: string;
  beforeAll(async () => {
    pool = await createPool('ckdiv');
    P = pool.name;
    await zfs('create', `${P}/bk`);
    for (const name of Object.keys(CASES)) {
      await zfs('create', `${P}/${name}`);
      await zfs('snapshot', `${P}/${name}@a`);
      if (name !== 'absent') await replicate(`${P}/${name}@a`, `${P}/bk/${name}`);
    }
    await zfs('snapshot', `${P}/behind@b`);
    await zfs('snapshot', `${P}/bk/newer@x`);
    await zfs('snapshot', `${P}/diverged@b`);
    await zfs('snapshot', `${P}/bk/diverged@x`);
    // The base the replica needs is pruned on the source: the classic "no common snapshot".
    await zfs('snapshot', `${P}/pruned@b`);
    await zfs('destroy', `${P}/pruned@a`);
    await zfs('set', 'zfailover:role=primary', `${P}/primaries`);
    await zfs('set', 'zfailover:role=primary', `${P}/bk/primaries`);
    ensureDir(DIR);
    const jobs = Object.keys(CASES).map((n) => `  ${n}:\n    source: ${P}/${n}\n    targets: [${P}/bk/${n}]`);
    writeFileSync(`${DIR}/zfailover.yml`, `version: 1\njobs:\n${jobs.join('\n')}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await pool?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test('--all: the worst state wins, counted on the first line, every replica named with its relation', async () => {
    const r = await divergence('--all', '--config', `${DIR}/zfailover.yml`);
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(r.summary).toMatch(/^4 of 7 replicas CRITICAL: .*; 1 WARNING$/);
    expect(r.perf).toMatchObject({ in_sync: { value: 1 }, behind: { value: 1 }, conflicts: { value: 4 } });
    for (const [name, [state, text]] of Object.entries(CASES)) {
      expect(r.lines, name).toContainEqual(expect.stringMatching(new RegExp(`^${state}: ${P}/bk/${name}: ${text.replace(/[()]/g, '\\$&')}`)));
    }
  });

  test.each(Object.entries(CASES))('%s: state, exit code, and a fix for every conflict', async (name, [state]) => {
    const r = await divergence(`${P}/${name}`, `${P}/bk/${name}`);
    expect(r.state).toBe(state);
    expect(r.code).toBe({ OK: 0, WARNING: 1, CRITICAL: 2 }[state]);
    if (state !== 'OK') expect(r.lines.some((l) => l.startsWith('  fix: '))).toBe(true);
    expect(r.lines).toContainEqual(expect.stringMatching(/^ {2}source role=.* epoch=.*; target /));
  });

  test('the fix names the command that resolves it, with the real snapshot names', async () => {
    const d = await divergence(`${P}/diverged`, `${P}/bk/diverged`);
    expect(d.summary).toBe(`${P}/bk/diverged: diverged: diverged after @a: 1 target-only (x), 1 source-only snapshot(s)`);
    // The fix keeps the replica's history (demote renames it aside); test/zfs/printed-fixes.test.ts runs it.
    expect(d.lines.find((l) => l.startsWith('  fix: '))).toMatch(
      new RegExp(
        `^ {2}fix: zfailover (--state-dir \\S+ )?demote ${P}/diverged ${P}/bk/diverged  # keeps the target's own history in a renamed copy .*re-creates it at @a`,
      ),
    );
    const p = await divergence(`${P}/pruned`, `${P}/bk/pruned`);
    expect(p.lines.find((l) => l.startsWith('  fix: '))).toMatch(
      new RegExp(`^ {2}fix: zfailover (--state-dir \\S+ )?demote ${P}/pruned ${P}/bk/pruned  # keeps ${P}/bk/pruned with its snapshots in a renamed copy`),
    );
  });

  test('-w on snapshots behind turns a lagging replica into WARNING', async () => {
    const r = await divergence(`${P}/behind`, `${P}/bk/behind`, '-w', '0');
    expect([r.state, r.code, r.summary]).toEqual(['WARNING', 1, `${P}/bk/behind: behind by 1 snapshot (common @a) (above 0)`]);
  });
});
