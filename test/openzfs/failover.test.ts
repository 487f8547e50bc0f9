// Failover against real OpenZFS 2.3 (the qemu guest): the primary A (src/<name>/data, a tree) and the replica B
// (dst/<name>/data) both live in the guest; zfailover runs here. A is reached through a TCP relay on this host
// that the test can cut (the guest's sshd is shared and stays up), B directly: "the primary's ssh is down".
// The story of the zfs-fuse test, on OpenZFS: dry run changes nothing, planned switchover with a writer loses no
// byte, reverse replication, switch back, takeover, the returning primary refused, demote keeps the diverged
// files readable, round trip ends with A primary and replication running.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, STATUS_LINE } from '../helpers/cli.js';
import { knownHostsFor, relay, type Relay } from '../helpers/relay.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

describe.skipIf(reason)(
  `openzfs: promote, takeover, demote, round trip against OpenZFS 2.3${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`,
  { timeout: 600_000 },
  () => {
    const guest = g as OpenzfsGuest;
    let roots: GuestRoots;
    let dir: string;
    let config: string;
    let link: Relay;
    let aData: string;
    let bData: string;
    const gx = (cmd: string) => guest.exec(cmd, { timeoutMs: 120_000 });
    const cli = (...args: string[]) => runCli(['--config', config, '--state-dir', `${dir}/state`, ...args], { timeoutMs: 300_000 });
    const prop = async (ds: string, p: string) => (await gx(`zfs get -H -o value ${p} ${ds}`)).trim();
    const roles = async (ds: string) => ({
      role: await prop(ds, 'zfailover:role'),
      epoch: await prop(ds, 'zfailover:epoch'),
      readonly: await prop(ds, 'readonly'),
      mounted: await prop(ds, 'mounted'),
    });
    const newest = async (ds: string) => (await gx(`zfs list -H -p -o name -t snapshot -s createtxg -d 1 ${ds} | tail -n 1`)).trim();
    /** sha256 of every file of a snapshot, read through .zfs/snapshot of its (mounted) dataset or a clone. */
    const sums = async (snap: string) => {
      const clone = `${snap.split('/')[0]}/${uniqueName('verify')}`;
      const mnt = `/tmp/${clone.replace(/\//g, '_')}`;
      await gx(`zfs clone -o mountpoint=${mnt} ${snap} ${clone}`);
      try {
        return (await gx(`cd ${mnt} && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`)).trim();
      } finally {
        await gx(`zfs destroy ${clone}`);
      }
    };
    const fingerprint = () =>
      gx(`zfs get -H -p -r -o name,property,value guid,readonly,mounted,canmount,zfailover:role,zfailover:epoch ${roots.src} ${roots.dst}`);

    beforeAll(async () => {
      roots = await guest.uniqueRoots('failover');
      link = await relay(guest.port);
      dir = `${TEST_ROOT}/${uniqueName('failover-oz-')}`;
      mkdirSync(dir, { recursive: true });
      // The relay's port needs the guest's host key too: host keys stay checked.
      knownHostsFor(`${dir}/known_hosts`, guest.knownHostsFile, guest.port, link);
      aData = `${roots.src}/data`;
      bData = `${roots.dst}/data`;
      const A = `root@127.0.0.1:${link.port}:${aData}`;
      const B = guest.side(bData);
      config = `${dir}/zfailover.yml`;
      writeFileSync(
        config,
        [
          'ssh:',
          `  key: ${guest.keyFile}`,
          '  options:',
          `    - UserKnownHostsFile=${dir}/known_hosts`,
          '    - GlobalKnownHostsFile=/dev/null',
          '    - IdentitiesOnly=yes',
          'jobs:',
          '  data:',
          `    source: ${A}`,
          `    targets: [${B}]`,
          '    recursive: true',
          '    failover:',
          '      max_lag: 30m',
          '      hooks:',
          '        - name: stop-writer',
          '          when: before',
          '          on: primary',
          `          run: [sh, -c, 'p=$(cat /tmp/${roots.name}.pid 2>/dev/null) || exit 0; kill $p; while kill -0 $p 2>/dev/null; do sleep 0.1; done']`,
          '          modes: [planned]',
          '  data-back:',
          `    source: ${B}`,
          `    targets: [${A}]`,
          '    recursive: true',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await gx(`kill $(cat /tmp/${roots?.name}.pid 2>/dev/null) 2>/dev/null; rm -f /tmp/${roots?.name}.pid; true`).catch(() => undefined);
      // The aside tree is a clone family of the data tree: destroy it first, then the roots.
      await gx(`for d in $(zfs list -H -o name -r ${roots?.src} | grep zfailover-diverged | sort -r); do zfs destroy -r "$d"; done; true`).catch(
        () => undefined,
      );
      await roots?.cleanup();
      await link?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('sets up a tree, dry-runs without changing anything, then switches over with a writer running: no byte lost', async () => {
      await gx(`zfs create ${aData} && zfs create ${aData}/db && echo base > /${aData}/base.txt && echo db > /${aData}/db/table`);
      let r = await cli('sync', '--job', 'data');
      expect(r.code, r.stdout).toBe(0);
      expect(await roles(bData)).toMatchObject({ role: 'replica', epoch: '0', readonly: 'on', mounted: 'no' });

      const before = await fingerprint();
      r = await cli('promote', '--job', 'data', '--dry-run');
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^DRY RUN: planned switchover/);
      expect(r.stdout).toContain(`zfs set readonly=on ${aData}/db`);
      expect(await fingerprint()).toBe(before);

      // A writer in the guest appends to a file on A until the stop hook kills it.
      await gx(
        `nohup bash -c 'i=0; while :; do echo "line $i $(date +%s%N)" >> /${aData}/db/writer.log; i=$((i+1)); done' >/dev/null 2>&1 & echo $! > /tmp/${roots.name}.pid`,
      );
      await new Promise((res) => setTimeout(res, 1500));
      r = await cli('promote', '--job', 'data');
      expect(r.code, r.stdout).toBe(0);
      expect(r.line).toMatch(STATUS_LINE);
      expect(r.line).toMatch(new RegExp(`^OK: promoted ${bData} to primary \\(epoch 1, planned at @zfailover-sync_data_`));
      expect(r.stdout).toMatch(/hook stop-writer on root@127\.0\.0\.1:\d+: ok, exit 0/);
      const lastA = await newest(`${aData}/db`);
      const lines = Number((await gx(`wc -l < /${bData}/db/writer.log`)).trim());
      expect(lines).toBeGreaterThan(20);
      expect((await gx(`sha256sum < /${bData}/db/writer.log`)).trim()).toBe(
        (await sums(lastA))
          .split('\n')
          .find((l) => l.endsWith('./writer.log'))!
          .split(/\s+/)[0] + '  -',
      );
      expect(await roles(bData)).toMatchObject({ role: 'primary', epoch: '1', readonly: 'off', mounted: 'yes' });
      expect(await prop(`${bData}/db`, 'mounted')).toBe('yes');
      expect(await roles(aData)).toMatchObject({ role: 'replica', epoch: '1', readonly: 'on', mounted: 'no' });
      expect(await prop(bData, 'zfailover:promoted')).toMatch(/^1,zfailover-sync_data_[^,]+,\d+,\d+$/);
    });

    it('replicates the other way, switches back, then takes over with the primary unreachable; the returning primary is refused', async () => {
      await gx(`echo on-b > /${bData}/on-b.txt`);
      let r = await cli('sync', '--job', 'data-back');
      expect(r.code, r.stdout).toBe(0);
      r = await cli('promote', '--job', 'data-back');
      expect(r.code, r.stdout).toBe(0);
      expect(await roles(aData)).toMatchObject({ role: 'primary', epoch: '2', mounted: 'yes' });
      expect((await gx(`cat /${aData}/on-b.txt`)).trim()).toBe('on-b');
      await gx(`echo synced > /${aData}/db/synced.txt`);
      r = await cli('sync', '--job', 'data');
      expect(r.code, r.stdout).toBe(0);
      await gx(`echo diverged > /${aData}/db/diverged.txt`);

      await link.cut();
      try {
        r = await cli('promote', '--job', 'data', '--takeover', '--force');
        expect(r.code, r.stdout).toBe(0);
        expect(r.line).toMatch(new RegExp(`^OK: promoted ${bData} to primary \\(epoch 3, takeover at @`));
        expect((await gx(`cat /${bData}/db/synced.txt`)).trim()).toBe('synced');
        expect((await gx(`test -e /${bData}/db/diverged.txt && echo yes || echo no`)).trim()).toBe('no');
        await gx(`echo after-takeover > /${bData}/db/after.txt`);
      } finally {
        await link.restore();
      }
      r = await cli('sync', '--job', 'data');
      expect(r.code, r.stdout).toBe(2);
      expect(r.line).toMatch(/target-is-primary/);
      const st = await cli('status', '--job', 'data');
      expect(st.code, st.stdout).toBe(2);
      expect(st.line).toMatch(/^CRITICAL: job data: 2 primaries/);
    });

    it("demote keeps the old primary's diverged files readable; the round trip ends with A primary and replication running", async () => {
      let r = await cli('demote', '--job', 'data-back');
      expect(r.code, r.stdout).toBe(0);
      expect(r.line).toMatch(new RegExp(`its diverged writes kept in ${aData}\\.zfailover-diverged-e3-`));
      const aside = (await gx(`zfs list -H -o name -d 1 ${roots.src} | grep zfailover-diverged-e3`)).trim();
      expect((await gx(`cat /${aside}/db/diverged.txt`)).trim()).toBe('diverged');
      expect(await roles(aData)).toMatchObject({ role: 'replica', epoch: '3', readonly: 'on' });
      expect(await sums(await newest(`${aData}/db`))).toContain('./after.txt');

      r = await cli('promote', '--job', 'data-back');
      expect(r.code, r.stdout).toBe(0);
      expect(await roles(aData)).toMatchObject({ role: 'primary', epoch: '4', readonly: 'off', mounted: 'yes' });
      expect(await roles(bData)).toMatchObject({ role: 'replica', epoch: '4', readonly: 'on', mounted: 'no' });
      for (let i = 0; i < 2; i++) {
        await gx(`echo ${i} >> /${aData}/db/after-round-trip.txt`);
        r = await cli('sync', '--job', 'data');
        expect(r.code, r.stdout).toBe(0);
      }
      expect(await sums(await newest(`${bData}/db`))).toBe(await sums(await newest(`${aData}/db`)));
      const st = await cli('status', '--job', 'data');
      expect(st.code, st.stdout).toBe(0);
      expect(st.line).toMatch(/primary .* \(epoch 4\); .* in-sync/);
    });
  },
);
