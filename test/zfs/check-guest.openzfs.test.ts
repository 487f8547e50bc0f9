// The checks against real OpenZFS 2.3 (qemu guest; both sides remote over ssh with the pinned host key): what
// zfs-fuse cannot show — rpo 0 for an unchanged source (`written`), target-modified from a real write on the
// replica, pending bytes from `zfs send -nvP`, a real partial receive (resume token), the cursor bookmark
// protecting a foreign common snapshot, and pool checks over -H.
import { mkdirSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { judge } from '../cli/check-oracles.js';
import { BIN, ROOT, cliBuilt } from '../helpers/cli.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

describe.skipIf(reason)(`openzfs: check_zfs_* against OpenZFS 2.3${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let state: string;
  const gx = (cmd: string) => guest.exec(cmd);
  const plugin = async (name: string, ...args: string[]) => {
    const r = await execa(`${ROOT}bin/check_zfs_${name}`, [...args, ...guest.cliArgs, '--state-dir', state], {
      reject: false,
      env: { PATH: '/usr/bin:/bin' },
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    return { ...judge(r.stdout, r.exitCode ?? -1), code: r.exitCode, stdout: r.stdout };
  };
  const sync = (...args: string[]) =>
    execa(BIN, ['--state-dir', state, 'sync', ...guest.cliArgs, ...args], { reject: false, env: { PATH: '/usr/bin:/bin' }, timeout: 300_000 });
  const S = (n: string) => guest.side(`${roots.src}/${n}`);
  const D = (n: string) => guest.side(`${roots.dst}/${n}`);

  beforeAll(async () => {
    roots = await guest.uniqueRoots('check');
    state = `${TEST_ROOT}/${uniqueName('state-ozck-')}`;
    mkdirSync(state, { recursive: true });
    for (const n of ['a', 'b', 'c']) await gx(`zfs create ${roots.src}/${n}`);
  });
  afterAll(async () => {
    await roots?.cleanup();
    rmSync(state, { recursive: true, force: true });
  });

  test('rpo 0 for an unchanged source; then source writes make it the age of the common snapshot, with pending bytes', async () => {
    expect((await sync('--id', 'cka', S('a'), D('a'))).exitCode).toBe(0);
    const idle = await plugin('rpo', S('a'), D('a'));
    expect([idle.state, idle.perf.rpo?.value, idle.summary]).toEqual(['OK', 0, `${D('a')}: rpo 0s (unchanged since the newest snapshot)`]);
    await gx(`head -c 3145728 /dev/urandom > /${roots.src}/a/blob && zfs snapshot ${roots.src}/a@more`);
    const behind = await plugin('rpo', S('a'), D('a'), '-w', '1h', '-c', '2h');
    expect([behind.state, behind.perf.behind?.value]).toEqual(['OK', 1]);
    expect(behind.perf.pending?.value).toBeGreaterThan(3_000_000);
    expect(behind.summary).toMatch(/1 snapshot behind, 3\.\dMiB pending$/);
  });

  test('a write on the replica is target-modified (written@), CRITICAL with the rollback command', async () => {
    expect((await sync('--id', 'ckb', S('b'), D('b'))).exitCode).toBe(0);
    // sync keeps replicas readonly; someone turned that off and wrote to it.
    await gx(`zfs set readonly=off ${roots.dst}/b && zfs set mountpoint=/mnt/${roots.name}-b ${roots.dst}/b && (zfs mount ${roots.dst}/b 2>/dev/null; true)`);
    await gx(`echo local > /mnt/${roots.name}-b/local-write && zpool sync dst`);
    const r = await plugin('divergence', S('b'), D('b'));
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(r.summary).toMatch(/: target-modified: was modified since @zfailover-sync_ckb_/);
    expect(r.lines.find((l) => l.startsWith('  fix: '))).toContain('--rollback-target');
  });

  test('a partial receive: rpo names the snapshot being resumed and its age; divergence calls it behind', async () => {
    await gx(`zfs snapshot ${roots.src}/c@1 && zfs send ${roots.src}/c@1 | zfs recv ${roots.dst}/c`);
    await gx(`head -c 8388608 /dev/urandom > /${roots.src}/c/big && zfs snapshot ${roots.src}/c@2`);
    await guest.run(`zfs send -i @1 ${roots.src}/c@2 | head -c 2000000 | zfs recv -s ${roots.dst}/c`);
    expect((await gx(`zfs get -H -o value receive_resume_token ${roots.dst}/c`)).trim()).toMatch(/^1-/);
    const r = await plugin('rpo', S('c'), D('c'), '-w', '1h', '-c', '2h');
    expect(r.lines).toContain('  partial receive pending of @2: the next sync resumes it');
    expect(r.perf.resume_age?.uom).toBe('s');
    const d = await plugin('divergence', S('c'), D('c'));
    expect([d.state, d.summary]).toEqual(['OK', `${D('c')}: behind by 1 snapshot (common @1)`]);
  });

  test('check_zfs_job: a foreign common snapshot is protected by the cursor bookmark sync keeps on the source', async () => {
    await gx(`zfs snapshot ${roots.src}/c@zfs-auto-snap_hourly-2026-11-26-0400`);
    const r0 = await sync('--id', 'ckc', '--no-sync-snap', S('c'), D('c-copy'));
    expect(r0.exitCode, r0.stdout).toBe(0);
    expect(await gx(`zfs list -H -t bookmark -o name -r ${roots.src}/c`)).toMatch(/#zfailover-cursor_ckc_[A-Za-z0-9.-]+_t1_/);
    const r = await plugin('job', '--id', 'ckc', S('c'), D('c-copy'));
    expect([r.state, r.code]).toEqual(['OK', 0]);
    expect(r.stdout).not.toMatch(/not protected|not held/);
  });

  test('pool health and capacity of the guest over -H', async () => {
    const host = `root@127.0.0.1:${guest.port}`;
    const h = await plugin('health', '-H', host, 'src', 'dst');
    expect([h.state, h.summary]).toEqual(['OK', '2 pools ONLINE, no errors']);
    const c = await plugin('capacity', '-H', host, 'src', 'dst', '-w', '99', '-c', '100');
    expect(c.state).toBe('OK');
    // OpenZFS prints exact bytes (`zpool list -p`): sizes appear as perfdata.
    expect(Object.keys(c.perf).sort()).toEqual(['dst', 'dst used', 'src', 'src used']);
  });
});
