// Execute what we print (issue 13): the `zfs receive -A` fix a sync prints when its receive meets a partial
// receive it did not plan for. The planner resumes or aborts every token it lists itself, so the line appears
// when the partial state lands between the listing and the receive (another writer's `zfs recv -s`, cut short).
// That writer is made deterministic here: a zfs shim on the replica's ssh identity runs a saved incremental stream,
// cut by `head -c`, into the very target of zfailover's first receive, just before it (once). The fix line is
// taken from the real output (ssh to the guest with the job's key and options, the remote line quoted once
// more), run with sh -c, and the promise checked: no partial state, the next sync OK, replica = source by GUID
// and by checksums read through a clone. Dataset names contain blanks.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { openzfsGuest, skipNote, type GuestRoots, type GuestShim, type OpenzfsGuest } from '../helpers/openzfs.js';
import { fixesOf, NAGIOS_ILLEGAL, paste } from '../helpers/printed.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

/** sh single quotes for the guest command lines of this test. */
const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

describe.skipIf(reason)(
  `openzfs: the printed zfs receive -A fix, executed${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`,
  { timeout: 900_000 },
  () => {
    const guest = g as OpenzfsGuest;
    let roots: GuestRoots;
    let shim: GuestShim | undefined;
    let dir: string;
    const shimDir = `/tmp/zfo-rcva-${randomBytes(4).toString('hex')}`;
    const gx = (cmd: string) => guest.exec(cmd, { timeoutMs: 180_000 });

    beforeAll(async () => {
      roots = await guest.uniqueRoots('rcva', { dstProps: { mountpoint: 'none' } });
      dir = `${TEST_ROOT}/${uniqueName('rcva-')}`;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // The other writer: before the first plain `zfs receive ... -s TARGET` after the stream is saved, its own
      // receive of that stream, cut at 1 MiB, into TARGET (the last argument). Every call then runs the real zfs.
      const shimFile = `${dir}/zfs`;
      writeFileSync(
        shimFile,
        [
          '#!/bin/bash',
          `d=${shimDir}`,
          'if [ "$1" = receive ] && [ "$2" != -A ] && [ -e "$d/stream" ] && [ ! -e "$d/raced" ]; then',
          '  : > "$d/raced"',
          '  head -c 1048576 "$d/stream" | /usr/sbin/zfs receive -s "${@: -1}" 2>> "$d/race.log"',
          'fi',
          'exec /usr/sbin/zfs "$@"',
          '',
        ].join('\n'),
      );
      shim = await guest.installShim(shimFile, { path: `${shimDir}/zfs` });
    });
    afterAll(async () => {
      await shim?.remove();
      await roots?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const newestSnap = async (ds: string) => (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 ${q(ds)} | tail -n 1`)).trim();
    const newestGuid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 ${q(ds)} | tail -n 1`)).trim();
    const token = async (ds: string) => (await gx(`zfs get -H -o value receive_resume_token ${q(ds)}`)).trim();
    /** sha256 of every file in a dataset's newest snapshot, read through a clone (the replica stays unmounted). */
    const sums = async (ds: string) => {
      const snap = await newestSnap(ds);
      const clone = `${ds.split('/')[0]}/${uniqueName('verify')}`;
      const mnt = `/tmp/${clone.replace(/\//g, '_')}`;
      await gx(`zfs clone -o mountpoint=${mnt} ${q(snap)} ${clone}`);
      try {
        return (await gx(`cd ${mnt} && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`)).trim();
      } finally {
        await gx(`zfs destroy ${clone}`);
      }
    };

    it('a partial receive met by the sync: the printed ssh ... zfs receive -A line drops it; the next sync is OK, replica = source', async () => {
      const s = shim!;
      const src = `${roots.src}/my data`;
      const dst = `${roots.dst}/my  copy`;
      const sync = () => runCli(['--state-dir', `${dir}/state`, 'sync', ...s.cliArgs, s.side(src), s.side(dst)], { timeoutMs: 300_000 });

      await gx(`zfs create ${q(src)} && head -c 262144 /dev/urandom > ${q(`/${src}/a`)}`);
      const first = await sync();
      expect(first.code, first.stdout).toBe(0);

      // The other writer's stream: the increment from the replica's newest snapshot to a new one, 3 MiB.
      const base = (await newestSnap(dst)).split('@')[1]!;
      await gx(`head -c 3145728 /dev/urandom > ${q(`/${src}/b`)} && zfs snapshot ${q(`${src}@other`)}`);
      await gx(`zfs send -i ${q(`@${base}`)} ${q(`${src}@other`)} > ${shimDir}/stream`);

      const met = await sync();
      expect(met.code, met.stdout).toBe(2);
      expect((await gx(`cat ${shimDir}/race.log`)).trim(), 'precondition: the cut receive left its state').toMatch(/Partially received snapshot is saved/);
      expect(await token(dst), 'precondition: a partial receive is pending').not.toBe('-');
      expect(met.line.split(' | ')[0]).not.toMatch(NAGIOS_ILLEGAL);
      // zfs's own words lead (they were hidden behind the remote stage marker: dd's unterminated progress line).
      // What failed, on which host, and zfs's specific cause at the end (the long names give way in the middle).
      expect(met.line).toMatch(/ zfs receive on root@127\.0\.0\.1:\d+: cannot receive incremental/);
      expect(met.line.split(' | ')[0]).toMatch(/partially-complete state from zfs receive -s\. [\d.]+s$/);
      expect(met.line).not.toMatch(/remote-stage-failed/);
      const fix = fixesOf(met).find((l) => l.includes('receive -A'));
      // For the remote target the line carries how to reach it: ssh with the job's port, key and options.
      expect(fix, met.stdout).toMatch(/^ssh -p \d+ -i \S+ (-o \S+ )+root@127\.0\.0\.1 '/);
      expect(fix).toMatch(/  # drops the partial receive; otherwise the next run resumes it$/);

      await paste(fix!);
      expect(await token(dst)).toBe('-');
      expect(await gx(`zfs list -H -t all -r -o name ${q(roots.dst)}`)).not.toMatch(/%recv/);

      const next = await sync();
      expect(next.code, next.stdout).toBe(0);
      expect(next.line).toMatch(/^OK: /);
      expect(await newestGuid(dst)).toBe(await newestGuid(src));
      expect(await gx(`zfs list -H -o name -t snapshot -d 1 ${q(dst)}`)).toContain(`${dst}@other`);
      expect(await sums(dst)).toBe(await sums(src));
      expect(await token(dst)).toBe('-');
    });
  },
);
