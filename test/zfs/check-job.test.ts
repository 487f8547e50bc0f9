// check_zfs_job on real ZFS (zfs-fuse) with state written by real `zfailover sync` runs: success, a dead
// fan-out target failing run after run, a conflict, a foreign common snapshot without protection, a run that
// holds the lock too long, and missing or damaged state (UNKNOWN, never OK).
import { writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { ensureStateDir } from '../../src/state/dir.js';
import { judge } from '../cli/check-oracles.js';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, createPool, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();
const STATE = `${TEST_ROOT}/${uniqueName('ckjob-state-')}`;
const ENV = { PATH: '/usr/bin:/bin' };
const sync = (...args: string[]) => execa(`${ROOT}bin/zfailover`, ['--state-dir', STATE, 'sync', ...args], { reject: false, env: ENV });
const job = async (...args: string[]) => {
  const r = await execa(`${ROOT}bin/check_zfs_job`, [...args, '--state-dir', STATE], { reject: false, env: ENV });
  return { ...judge(r.stdout, r.exitCode ?? -1), code: r.exitCode, stdout: r.stdout };
};
const DEAD = 'root@127.0.0.1:1';

describe.skipIf(reason)(`check_zfs_job on zfs-fuse${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let P: string;
  beforeAll(async () => {
    pool = await createPool('ckjob');
    P = pool.name;
    for (const ds of ['good', 'fan', 'conflict', 'foreign']) await zfs('create', `${P}/${ds}`);
    await zfs('create', `${P}/bk`);
  });
  afterAll(async () => {
    await pool?.destroy();
    rmSync(STATE, { recursive: true, force: true });
  });

  test('after a successful sync: OK, with the age of the last success and no failures', async () => {
    expect((await sync('--id', 'good', `${P}/good`, `${P}/bk/good`)).exitCode).toBe(0);
    const r = await job('--id', 'good', `${P}/good`, `${P}/bk/good`);
    expect([r.state, r.code]).toEqual(['OK', 0]);
    expect(r.summary).toMatch(/^job good: 1 target replicated, last success \d+s ago$/);
    expect(r.perf.failures?.value).toBe(0);
    expect(r.perf.last_success).toMatchObject({ uom: 's', warn: '120', crit: '600' });
    // The sync snapshot of this job is the common one: owned, so protected.
    expect(r.stdout).not.toMatch(/not protected|not held/);
  });

  test('the age of the last success crosses -w (exit 1)', async () => {
    await new Promise((res) => setTimeout(res, 1500));
    const r = await job('--id', 'good', `${P}/good`, `${P}/bk/good`, '-w', '1s', '-c', '1h');
    expect([r.state, r.code]).toEqual(['WARNING', 1]);
    expect(r.summary).toMatch(/^1 of 2 checks WARNING: job good to .*bk\/good: last success \d+s ago \(above 1s\)$/);
  });

  test('fan-out with a dead target: the failures in a row and the never-replicated target are named', async () => {
    const args = ['--id', 'fan', `${P}/fan`, `${P}/bk/fan`, `${DEAD}:${P}/bk/far`];
    for (let i = 0; i < 3; i++) expect((await sync(...args)).exitCode).toBe(1);
    const r = await job(...args);
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(r.summary).toBe(`1 of 3 checks CRITICAL: job fan to ${DEAD}:${P}/bk/far: never replicated successfully; 1 WARNING`);
    expect(r.lines).toContainEqual(expect.stringMatching(/^WARNING: job fan: 3 failed runs in a row: /));
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^OK: job fan -> ${P}/bk/fan: last success`)));
    expect(r.perf.failures?.value).toBe(3);
    const fewer = await job(...args, '--failures-warning', '4');
    expect(fewer.lines).toContain(
      'OK: job fan: 3 failed runs in a row (WARNING from 4): ' +
        r.lines
          .find((l) => l.startsWith('WARNING: job fan: '))
          ?.split(': ')
          .slice(3)
          .join(': '),
    );
  });

  test('a conflict recorded by sync is CRITICAL, pointing at check divergence', async () => {
    const args = ['--id', 'conflict', `${P}/conflict`, `${P}/bk/conflict`];
    expect((await sync(...args)).exitCode).toBe(0);
    await zfs('snapshot', `${P}/bk/conflict@local`);
    await zfs('snapshot', `${P}/conflict@more`);
    expect((await sync(...args, '--no-sync-snap')).exitCode).toBe(2);
    const r = await job(...args);
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(r.summary).toMatch(/conflict diverged/);
    // The printed command runs as pasted and names the conflict with its own fix.
    const fix = r.lines.find((l) => l.startsWith('  fix: '))!.slice('  fix: '.length);
    expect(fix).toMatch(/^zfailover --state-dir \S+ check divergence --id conflict /);
    const pasted = await execa('sh', ['-c', fix], { reject: false, env: { PATH: `${ROOT}bin:/usr/sbin:/usr/bin:/bin` } });
    expect(pasted.exitCode, pasted.stdout).toBe(2);
    expect(pasted.stdout).toMatch(/diverged/);
    expect(pasted.stdout).toMatch(/\n {2}fix: zfailover .*demote/);
  });

  test('a foreign common snapshot (zfs-auto-snapshot name, --no-sync-snap) without hold or bookmark on the source: WARNING', async () => {
    await zfs('snapshot', `${P}/foreign@zfs-auto-snap_hourly-2026-11-26-0400`);
    const args = ['--id', 'foreign', `${P}/foreign`, `${P}/bk/foreign`];
    expect((await sync(...args, '--no-sync-snap')).exitCode).toBe(0);
    const r = await job(...args);
    expect([r.state, r.code]).toEqual(['WARNING', 1]);
    expect(r.summary).toContain(`common snapshot not protected on the source (no hold/bookmark): ${P}/foreign@zfs-auto-snap_hourly-2026-11-26-0400`);
    // Holding it on the source is enough.
    await zfs('hold', 'keep', `${P}/foreign@zfs-auto-snap_hourly-2026-11-26-0400`);
    const held = await job(...args);
    expect(held.stdout).not.toContain('not protected on the source');
    await zfs('release', 'keep', `${P}/foreign@zfs-auto-snap_hourly-2026-11-26-0400`);
    // --no-zfs reads only the state file: no listing, no protection verdict.
    expect((await job(...args, '--no-zfs')).state).toBe('OK');
  });

  test('a live run holding the lock longer than --max-runtime: WARNING', async () => {
    await ensureStateDir(STATE);
    const lock = await acquireLock(STATE, 'good', { nowMs: Date.now() - 3_600_000 });
    try {
      const r = await job('--id', 'good', `${P}/good`, `${P}/bk/good`, '--max-runtime', '10m', '-w', '1h', '-c', '2h');
      expect([r.state, r.code]).toEqual(['WARNING', 1]);
      expect(r.summary).toBe(`1 of 2 checks WARNING: job good: run of pid ${process.pid} holds the lock for 1h00m (above 10m00s)`);
    } finally {
      await lock.release();
    }
  });

  test('no state yet, or a damaged state file: UNKNOWN (exit 3) with the path', async () => {
    const none = await job('--id', 'never', `${P}/good`, `${P}/bk/good`);
    expect([none.state, none.code]).toEqual(['UNKNOWN', 3]);
    expect(none.summary).toBe(`job never: no run recorded yet (${STATE}/jobs/never.json)`);
    writeFileSync(`${STATE}/jobs/broken.json`, '{"version": 1, "job": "broken"');
    const bad = await job('--id', 'broken', `${P}/good`, `${P}/bk/good`);
    expect([bad.state, bad.code]).toEqual(['UNKNOWN', 3]);
    expect(bad.summary).toBe(`job broken: state file ${STATE}/jobs/broken.json is unusable: not valid JSON`);
  });
});
