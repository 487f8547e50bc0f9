// The shipped monit/zfailover-retention.monitrc in real Monit (Debian 5.33, foreground, private control file,
// 2 s cycle) on a zfs-fuse pool: `zfailover snapshot` every cycle takes the due frequent snapshot once per slot
// (never twice in one slot however many cycles run), and `zfailover prune` every 4 cycles ages out the older
// ones down to the keep count; both report OK to Monit. Only the binary's directory and the config change.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName, parsePeriodicSnapshotName } from '../../src/core/names.js';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { monitUnavailableReason, startMonit, type TestMonit } from '../helpers/monit.js';
import { snapshotNames } from '../helpers/replica.js';
import { TEST_ROOT, createPool, ensureDir, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? monitUnavailableReason() ?? cliBuilt();
const SHIPPED = readFileSync(`${ROOT}monit/zfailover-retention.monitrc`, 'utf8');
const DIR = `${TEST_ROOT}/${uniqueName('retmonit-')}`;
const CONFIG = `${DIR}/zfailover.yml`;
const KEEP = 3;

describe.skipIf(reason)(`monit/zfailover-retention.monitrc in real Monit${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let monit: TestMonit | undefined;
  let ds: string;

  beforeAll(async () => {
    pool = await createPool('retmon');
    ds = `${pool.name}/data`;
    await zfs('create', ds);
    ensureDir(DIR);
    writeFileSync(CONFIG, `version: 1\nstate_dir: ${DIR}/state\nsnapshots:\n  - dataset: ${ds}\n    schedules: {frequent: {every: 1m, keep: ${KEEP}}}\n`, {
      mode: 0o600,
    });
    // History from before Monit took over: five older frequent slots, which prune must age out to the keep count.
    const now = Date.now();
    for (let i = 5; i >= 1; i--) await zfs('snapshot', `${ds}@${formatPeriodicSnapshotName('frequent', now - i * 60_000 - 60_000)}`);
    const services = SHIPPED.replaceAll('/usr/local/bin/zfailover ', `${ROOT}bin/zfailover --config ${CONFIG} `);
    expect(services).not.toMatch(/\/usr\/local\/bin/);
    monit = await startMonit({ programs: [], services, cycleSec: 2, env: { PATH: '/usr/bin:/bin', HOME: DIR } });
  });
  afterAll(async () => {
    await monit?.stop();
    await pool?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test('snapshot runs every cycle and takes one snapshot per slot; prune keeps the newest ones; both OK', async () => {
    const snap = await monit!.waitFor('zfailover-snapshot', (s) => s.lastExitValue !== null, 60_000);
    expect([snap.lastExitValue, snap.status], snap.lastOutput ?? '').toEqual([0, 'OK']);
    const prune = await monit!.waitFor('zfailover-prune', (s) => s.lastExitValue !== null, 60_000);
    expect([prune.lastExitValue, prune.status], prune.lastOutput ?? '').toEqual([0, 'OK']);
    // Monit may run the first prune before the first snapshot: the next prune runs (every 4 cycles) bring the
    // frequent snapshots down to the keep count, while snapshot runs every cycle add none in the same slot.
    const frequent = async () => (await snapshotNames(ds)).filter((n) => parsePeriodicSnapshotName(n)?.label === 'frequent');
    let names = await frequent();
    for (const end = Date.now() + 40_000; names.length !== KEEP && Date.now() < end; names = await frequent()) await new Promise((r) => setTimeout(r, 1000));
    await new Promise((r) => setTimeout(r, 6_000)); // three more snapshot cycles, one more prune
    // A minute boundary in between adds the new slot's snapshot until the next prune: wait for that prune.
    names = await frequent();
    for (const end = Date.now() + 20_000; names.length !== KEEP && Date.now() < end; names = await frequent()) await new Promise((r) => setTimeout(r, 1000));
    const slots = names.map((n) => Math.floor(parsePeriodicSnapshotName(n)!.time / 60_000));
    expect(new Set(slots).size, names.join(' ')).toBe(names.length);
    expect(names.length, names.join(' ')).toBe(KEEP);
    // The newest is the one Monit's snapshot run took in the current (or just finished) slot.
    expect(Date.now() - parsePeriodicSnapshotName(names.at(-1)!)!.time).toBeLessThan(120_000);
    expect(monit!.log()).not.toMatch(/'zfailover-(snapshot|prune)' status failed/);
  });
});
