// The shipped monit/checks.monitrc, verbatim but for the paths (bin, config file, pool name) and the cadence,
// in real Monit (Debian 5.33, foreground, private control file) against a real zfs-fuse replica: every check
// reports OK (exit 0, OK line in `last output`); the capacity check walks OK -> WARNING -> CRITICAL ->
// WARNING -> OK (thresholds from the config) and Monit mails exactly one "Status failed" and one
// "Status succeeded" (never a "succeeded" while not OK); then the replica diverges and Monit sees the
// divergence check fail with exit 2 and the CRITICAL line naming the conflict. Monit runs the plugins with a
// bare PATH (/usr/bin:/bin), as an init-started Monit would.
import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { monitUnavailableReason, parseMonitStatus, startMonit, type TestMonit } from '../helpers/monit.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { TEST_ROOT, createPool, ensureDir, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? monitUnavailableReason() ?? cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('ckmonit-')}`;
const SERVICES = [
  'zfailover-rpo-data',
  'zfailover-divergence-data',
  'zfailover-job-data',
  'zfailover-gaps-data',
  'zfailover-pools-health',
  'zfailover-pools-capacity',
];
const CAPACITY = 'zfailover-pools-capacity';

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
  let smtp: SmtpSink;
  let P: string;
  let config: string;
  // `@0:100` alerts for any percentage, `100` for none: the capacity check's level is set by the config alone.
  // Written whole, then renamed over the old one (as config management does): Monit runs the checks every 2 s, and a
  // check that read a half-written file would take the defaults (80/90) and mail a spurious "Status succeeded".
  const writeConfig = (capacity: { warning: string; critical: string }): void => {
    writeFileSync(
      `${config}.new`,
      `version: 1\nstate_dir: ${DIR}/state\njobs:\n  data:\n    source: ${P}/src\n    targets: [${P}/bk/dst]\n` +
        // A retention schedule for check_zfs_gaps: one slot, taken (and replicated) before Monit starts; the
        // next slot stays within the check's grace period for the length of the test.
        `snapshots:\n  - dataset: ${P}/src\n    schedules: {frequent: {every: 15m, keep: 1}}\n` +
        `checks:\n  capacity: {warning: '${capacity.warning}', critical: '${capacity.critical}'}\n`,
      { mode: 0o600 },
    );
    renameSync(`${config}.new`, config);
  };
  beforeAll(async () => {
    pool = await createPool('ckmon');
    P = pool.name;
    ensureDir(DIR);
    await zfs('create', `${P}/src`);
    await zfs('create', `${P}/bk`);
    config = `${DIR}/zfailover.yml`;
    writeConfig({ warning: '100', critical: '100' });
    smtp = await startSmtpSink();
    const snap = await execa(`${ROOT}bin/zfailover`, ['--config', config, 'snapshot'], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    expect(snap.exitCode, snap.stdout).toBe(0);
    const sync = await execa(`${ROOT}bin/zfailover`, ['--config', config, 'sync', '--job', 'data'], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    expect(sync.exitCode, sync.stdout).toBe(0);
    // The shipped lines, pointed at this checkout, this config and this pool, run every cycle.
    const shipped = readFileSync(`${ROOT}monit/checks.monitrc`, 'utf8');
    const services = shipped
      .replaceAll('/usr/local/bin/', `${ROOT}bin/`)
      .replaceAll('/etc/zfailover/zfailover.yml', config)
      .replaceAll(' tank"', ` ${P}"`)
      .replace(/every \d+ cycles/g, 'every 1 cycles');
    // Every substitution hit: the lines Monit runs are the shipped ones.
    expect(services.match(new RegExp(`${ROOT}bin/check_zfs_`, 'g'))).toHaveLength(SERVICES.length);
    expect(services.match(new RegExp(config, 'g'))).toHaveLength(SERVICES.length);
    expect(services.match(new RegExp(` ${P}"`, 'g'))).toHaveLength(2);
    monit = await startMonit({
      programs: [],
      services,
      cycleSec: 2,
      env: { PATH: '/usr/bin:/bin', HOME: DIR },
      extra: [`set mailserver 127.0.0.1 port ${smtp.port}`, 'set alert ops@example.test but not on { instance }'],
    });
  });
  afterAll(async () => {
    await monit?.stop();
    await smtp?.close();
    await pool?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test('every shipped check runs in Monit and reports OK with its status line', async () => {
    for (const name of SERVICES) {
      const s = await monit!.waitFor(name, (x) => x.lastExitValue !== null, 90_000);
      expect([name, s.lastExitValue, s.status, s.lastOutput]).toEqual([name, 0, 'OK', expect.stringMatching(/^OK: /)]);
      expect(s.lastOutput).toMatch(/^OK: [^\n]* \| /);
      expect(Buffer.byteLength(s.lastOutput ?? '')).toBeLessThanOrEqual(512);
    }
  });

  test('capacity OK -> WARNING -> CRITICAL -> WARNING -> OK: one "Status failed" and one "Status succeeded" mail', async () => {
    const mails = () =>
      smtp.messages
        .filter((m) => (m.mail.subject ?? '').endsWith(` ${CAPACITY}`))
        .map((m) => `${(m.mail.subject ?? '').replace(/\s+/g, ' ')} | ${/Description: (.*)/.exec(m.mail.text ?? '')?.[1] ?? ''}`);
    // Runs of the capacity check Monit has evaluated with this exit code (one log line per failed run).
    const failedRuns = (code: number) =>
      monit!
        .log()
        .split('\n')
        .filter((l) => l.includes(`'${CAPACITY}' status failed (${code})`)).length;
    const collected = async () => /data collected\s+(.*)/.exec((await monit!.status(CAPACITY))?.raw ?? '')?.[1] ?? '';
    const runs = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const before = await collected();
        await monit!.waitFor(CAPACITY, (x) => (/data collected\s+(.*)/.exec(x.raw)?.[1] ?? '') !== before, 30_000);
      }
    };
    const hold = async (code: number, n: number) => {
      const before = failedRuns(code);
      await monit!.waitFor(CAPACITY, () => failedRuns(code) >= before + n, 60_000);
    };
    await monit!.waitFor(CAPACITY, (x) => x.lastExitValue === 0, 60_000);
    writeConfig({ warning: '@0:100', critical: '100' });
    await hold(1, 3);
    await smtp.waitFor(1, 10_000);
    writeConfig({ warning: '@0:100', critical: '@0:100' });
    await hold(2, 3);
    writeConfig({ warning: '@0:100', critical: '100' });
    await hold(1, 3);
    writeConfig({ warning: '100', critical: '100' });
    await monit!.waitFor(CAPACITY, (x) => x.lastExitValue === 0 && x.status === 'OK', 60_000);
    await runs(3);
    expect(mails()).toEqual([
      expect.stringMatching(/^monit alert -- Status failed zfailover-pools-capacity \| status failed \(1\) -- WARNING: /),
      expect.stringMatching(/^monit alert -- Status succeeded zfailover-pools-capacity \| status succeeded \(0\) -- OK: /),
    ]);
  });

  test('a diverged replica: Monit sees exit 2 and the CRITICAL line naming the conflict', async () => {
    await zfs('snapshot', `${P}/src@newer`);
    await zfs('snapshot', `${P}/bk/dst@local`);
    // Monit may run the check between the two snapshots (behind, or target-newer): wait for the diverged one.
    // `for 2 cycles`: the program is "Status failed" from its second CRITICAL run.
    const s = await monit!.waitFor(
      'zfailover-divergence-data',
      (x) => x.lastExitValue === 2 && /diverged:/.test(x.lastOutput ?? '') && x.status === 'Status failed',
      90_000,
    );
    expect(s.status).toBe('Status failed');
    expect(s.lastOutput).toMatch(new RegExp(`^CRITICAL: job data: ${P}/bk/dst: diverged: diverged after @zfailover-sync_data_`));
    expect(monit!.log()).toMatch(/'zfailover-divergence-data' status failed \(2\)/);
  });
});
