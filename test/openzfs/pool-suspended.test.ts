// Issue 19, the "pool suspended" row of docs/design.md §2.1 provoked for real on OpenZFS 2.3 (the qemu guest): the
// target pool lives on a file vdev in a small tmpfs; filling the tmpfs fails the vdev's writes and OpenZFS
// suspends the pool (failmode=continue, so zfs commands answer instead of blocking). A sync into it must end
// CRITICAL (a human has to bring the devices back) with zfs's reason in the first line and `zpool clear` in the
// hint; check_zfs_health reports the pool; once the tmpfs is grown and the pool cleared, the next sync is OK and
// the replica equals the source by GUID. Every precondition is waited for by state (pool health), never by time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, rmSync } from 'node:fs';
import { ROOT, cliBuilt, runCli } from '../helpers/cli.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

describe.skipIf(reason)(`openzfs: a suspended target pool${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, { timeout: 600_000 }, () => {
  const guest = g as OpenzfsGuest;
  const pool = uniqueName('zfosusp');
  const tmpfs = `/mnt/${pool}`;
  let roots: GuestRoots;
  let dir: string;
  const gx = (cmd: string) => guest.exec(cmd, { timeoutMs: 120_000 });
  const health = async () => (await gx(`zpool list -H -o health ${pool}`)).trim();
  /** Polls the pool's health (bounded) until it is `want`. */
  const until = async (want: string) => {
    for (const bound = Date.now() + 300_000; (await health()) !== want;) {
      if (Date.now() > bound) throw new Error(`pool ${pool} never became ${want} (is ${await health()})`);
      await new Promise((res) => setTimeout(res, 500));
    }
  };
  const resume = () => gx(`mount -o remount,size=512M ${tmpfs} && zpool clear ${pool}`);
  const cli = (args: string[]) => runCli(['--state-dir', `${dir}/state`, ...args], { timeoutMs: 300_000 });
  const src = () => `${roots.src}/data`;
  const dst = `${pool}/replica of data`;
  const sync = () => cli(['sync', ...guest.cliArgs, guest.side(src()), guest.side(dst)]);
  const newestGuid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 '${ds}' | tail -n 1`)).trim();

  beforeAll(async () => {
    roots = await guest.uniqueRoots('susp');
    dir = `${TEST_ROOT}/${uniqueName('susp-oz-')}`;
    mkdirSync(`${dir}/state`, { recursive: true });
    // 96 MiB of tmpfs under a 256 MiB sparse vdev: the pool believes it has room the tmpfs does not.
    await gx(
      `mkdir -p ${tmpfs} && mount -t tmpfs -o size=96M tmpfs ${tmpfs} && truncate -s 256M ${tmpfs}/vdev && ` +
        `zpool create -o failmode=continue -O compression=off -O mountpoint=none ${pool} ${tmpfs}/vdev && ` +
        `zfs create -o mountpoint=/${pool}-fill ${pool}/fill`,
    );
  });
  afterAll(async () => {
    // A suspended pool cannot be destroyed: give the vdev room and clear it first.
    await gx(`mount -o remount,size=512M ${tmpfs}; zpool clear ${pool}; zpool destroy -f ${pool}; umount ${tmpfs}; rmdir ${tmpfs} /${pool}-fill; true`).catch(
      () => undefined,
    );
    await roots?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a sync into a suspended pool is CRITICAL with the reason and `zpool clear`; after the devices are back the next sync is OK', async () => {
    await gx(`zfs create ${src()} && head -c 1048576 /dev/urandom > /${src()}/a`);
    let r = await sync();
    expect(r.code, r.stdout).toBe(0);

    // Fill the tmpfs through the pool: the vdev's writes fail and OpenZFS suspends the pool. The writer blocks in
    // the kernel until the pool is cleared, so it runs in the background.
    await gx(`(dd if=/dev/urandom of=/${pool}-fill/big bs=1M count=160 conv=fsync status=none >/dev/null 2>&1 &) ; true`);
    await until('SUSPENDED');

    await gx(`head -c 1048576 /dev/urandom > /${src()}/b`);
    r = await sync();
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(/^CRITICAL: .*pool I\/O is currently suspended/);
    expect(r.stdout).toMatch(/zpool clear/);

    const h = await execa(`${ROOT}bin/check_zfs_health`, [...guest.cliArgs, '-H', `root@127.0.0.1:${guest.port}`, '--state-dir', `${dir}/state`, pool], {
      reject: false,
    });
    expect(h.exitCode, h.stdout).toBe(2);
    expect(h.stdout.split('\n')[0]).toMatch(new RegExp(`^CRITICAL: .*${pool}`));

    await resume();
    await until('ONLINE');
    r = await sync();
    expect(r.code, r.stdout).toBe(0);
    expect(await newestGuid(dst)).toBe(await newestGuid(src()));
  });
});
