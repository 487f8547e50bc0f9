// The shipped monit/checks.monitrc in real Monit (Debian 5.33, foreground, private control file) against a
// real zfs-fuse replica: every check reports OK (exit 0, OK line in `last output`); then the replica diverges
// and Monit sees the divergence check fail with exit 2 and the CRITICAL line naming the conflict. Monit runs
// the plugins with a bare PATH (/usr/bin:/bin), as an init-started Monit would.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { monitUnavailableReason, parseMonitStatus, startMonit, type TestMonit } from '../helpers/monit.js';
import { TEST_ROOT, createPool, ensureDir, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? monitUnavailableReason() ?? cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('ckmonit-')}`;
const SERVICES = ['zfailover-rpo-data', 'zfailover-divergence-data', 'zfailover-job-data', 'zfailover-pools-health', 'zfailover-pools-capacity'];

describe('parseMonitStatus', () => {
  test('reads status, exit value and the multi-line last output', () => {
    const s = parseMonitStatus(
      "Monit 5.33.0 uptime: 2m\n\nProgram 'flip'\n  status                       Status failed\n  monitoring status            Monitored\n  last exit value              2\n  last output                  CRITICAL: x | a=1\n                               fix: y\n  data collected               Thu, 26 Nov 2026 03:00:57\n",
    );
    expect(s).toMatchObject({ status: 'Status failed', lastExitValue: 2, lastOutput: 'CRITICAL: x | a=1\nfix: y' });
  });
});

describe.skipIf(reason)(`monit/checks.monitrc in real Monit${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let monit: TestMonit | undefined;
  let P: string;
  beforeAll(async () => {
    pool = await createPool('ckmon');
    P = pool.name;
    ensureDir(DIR);
    await zfs('create', `${P}/src`);
    await zfs('create', `${P}/bk`);
    const config = `${DIR}/zfailover.yml`;
    writeFileSync(config, `version: 1\nstate_dir: ${DIR}/state\njobs:\n  data:\n    source: ${P}/src\n    targets: [${P}/bk/dst]\n`, { mode: 0o600 });
    const sync = await execa(`${ROOT}bin/zfailover`, ['--config', config, 'sync', '--job', 'data'], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    expect(sync.exitCode, sync.stdout).toBe(0);
    // The shipped lines, pointed at this checkout, this config and this pool, run every cycle.
    const services = readFileSync(`${ROOT}monit/checks.monitrc`, 'utf8')
      .replaceAll('/usr/local/bin/', `${ROOT}bin/`)
      .replaceAll('--job data', `--job data --config ${config}`)
      .replace(/(check_zfs_(?:health|capacity)[^"]*)"/g, `$1 --config ${config} ${P}"`)
      .replace(/every \d+ cycles/g, 'every 1 cycles');
    monit = await startMonit({ programs: [], services, cycleSec: 2, env: { PATH: '/usr/bin:/bin', HOME: DIR } });
  });
  afterAll(async () => {
    await monit?.stop();
    await pool?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test('every shipped check runs in Monit and reports OK with its status line', async () => {
    for (const name of SERVICES) {
      const s = await monit!.waitFor(name, (x) => x.lastExitValue !== null, 90_000);
      expect([name, s.lastExitValue, s.status]).toEqual([name, 0, 'OK']);
      expect(s.lastOutput).toMatch(/^OK: [^\n]* \| /);
      expect(Buffer.byteLength(s.lastOutput ?? '')).toBeLessThanOrEqual(512);
    }
  });

  test('a diverged replica: Monit sees exit 2 and the CRITICAL line naming the conflict', async () => {
    await zfs('snapshot', `${P}/src@newer`);
    await zfs('snapshot', `${P}/bk/dst@local`);
    // Monit may run the check between the two snapshots (behind, or target-newer): wait for the diverged one.
    const s = await monit!.waitFor('zfailover-divergence-data', (x) => x.lastExitValue === 2 && /diverged:/.test(x.lastOutput ?? ''), 90_000);
    expect(s.status).toBe('Status failed');
    expect(s.lastOutput).toMatch(new RegExp(`^CRITICAL: job data: ${P}/bk/dst: diverged: diverged after @zfailover-sync_data_`));
    expect(monit!.log()).toMatch(/'zfailover-divergence-data' status failed \(2\)/);
  });
});
