// Checks without root on OpenZFS (issue 12, least privilege; docs/nagios-icinga.md "Checks without root"): the
// reads the ZFS checks make (pool list/status, the replication listing, holds) work for an unprivileged uid in
// the OpenZFS 2.3 guest and print exactly what root sees; a write does not (it would need `zfs allow`).
import { describe, expect, it } from 'vitest';
import { openzfsGuest, skipNote, type OpenzfsGuest } from '../helpers/openzfs.js';

const g = await openzfsGuest();

describe.skipIf(g.reason)(`OpenZFS: the checks' zfs/zpool reads as an unprivileged uid${skipNote(g)}`, () => {
  const guest = g as OpenzfsGuest;
  it("zpool list/status and zfs get/list of snapshots work for uid 65534 and equal root's output", async () => {
    const roots = await guest.uniqueRoots('nonroot');
    try {
      await guest.exec(`zfs snapshot ${roots.src}@a && zfs hold keep ${roots.src}@a`);
      const reads = [
        'zpool list -H -p -o name,health,size,allocated,free,capacity,fragmentation src',
        'zpool status -x src',
        `zfs get -H -p -r -t filesystem,snapshot,bookmark -o name,property,value guid,createtxg,creation,userrefs,written,receive_resume_token ${roots.src}`,
        `zfs list -H -p -r -t all -o name,guid,createtxg,userrefs ${roots.src}`,
        `zfs holds -H ${roots.src}@a`,
      ];
      // Other test files write to the shared pool meanwhile: the pool's space columns are compared by shape (all
      // there, numeric), its name, health and size exactly; every other read exactly.
      const stable = (cmd: string, out: string): string => (cmd.startsWith('zpool list') ? out.replace(/^(\S+\t\S+\t\d+)(\t\d+){4}$/m, '$1\tN\tN\tN\tN') : out);
      for (const cmd of reads) {
        const asRoot = await guest.run(cmd);
        const asNobody = await guest.run(`setpriv --reuid=65534 --regid=65534 --clear-groups ${cmd}`);
        expect(asNobody.exitCode, `${cmd}: ${asNobody.stderr}`).toBe(0);
        expect(stable(cmd, asNobody.stdout), cmd).toBe(stable(cmd, asRoot.stdout));
        if (cmd.startsWith('zpool list')) expect(stable(cmd, asNobody.stdout), cmd).toMatch(/^src\tONLINE\t\d+\tN\tN\tN\tN\n?$/);
      }
      // Writes are not: a snapshot needs `zfs allow` (which the checks never ask for).
      const write = await guest.run(`setpriv --reuid=65534 --regid=65534 --clear-groups zfs snapshot ${roots.src}@b`);
      expect(write.exitCode).not.toBe(0);
      await guest.exec(`zfs release keep ${roots.src}@a`);
    } finally {
      await roots.cleanup();
    }
  });
});
