// Scenario families from the peers' OpenZFS suites (syncoid, zrepl, zfs_autobackup, bzfs) run against zfailover's
// documented behaviour on the qemu guest, each verified by GUIDs and checksums: the cursor bookmark as the only
// and newest common point, a target that fills up mid-transfer and is freed (resume), a raw encrypted tree whose
// replica opens with the source's key. Families already in sync.test.ts (resume after SIGKILL/ssh cut, a token
// whose snapshot is gone, bookmark incrementals, written-based skips, compressed sends) are not repeated here.
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

interface JsonReport {
  report: { targets: { datasets: { target: string; outcome: string; steps: { kind: string; from: string | null }[] }[] }[] };
}

describe.skipIf(reason)(`openzfs: peer scenario families${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, { timeout: 600_000 }, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let stateDir: string;
  const gx = (cmd: string) => guest.exec(cmd, { timeoutMs: 180_000 });
  const sync = async (args: string[], extra: string[] = []) => {
    const r = await runCli(['--state-dir', stateDir, 'sync', ...guest.cliArgs, '--json', ...extra, ...args], { timeoutMs: 300_000 });
    return { ...r, json: (r.stdout.startsWith('{') ? JSON.parse(r.stdout) : null) as JsonReport | null };
  };
  const S = (n: string) => guest.side(`${roots.src}/${n}`);
  const D = (n: string) => guest.side(`${roots.dst}/${n}`);
  const newestGuid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 '${ds}' | tail -n 1`)).trim();
  /** sha256 of every file in a dataset's newest snapshot, read through a clone (the replica stays unmounted). */
  const sums = async (ds: string) => {
    const snap = (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 '${ds}' | tail -n 1`)).trim();
    const clone = `${ds.split('/')[0]}/${uniqueName('verify')}`;
    const mnt = `/tmp/${clone.replace(/\//g, '_')}`;
    await gx(`zfs clone -o mountpoint=${mnt} '${snap}' ${clone}`);
    try {
      return (await gx(`cd ${mnt} && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`)).trim();
    } finally {
      await gx(`zfs destroy ${clone}`);
    }
  };
  const expectEqual = async (name: string) => {
    expect(await newestGuid(`${roots.dst}/${name}`)).toBe(await newestGuid(`${roots.src}/${name}`));
    expect(await sums(`${roots.dst}/${name}`)).toBe(await sums(`${roots.src}/${name}`));
  };
  const write = (name: string, kib: number, file = 'blob') => gx(`head -c ${kib * 1024} /dev/urandom > '/${roots.src}/${name}/${file}'`);

  beforeAll(async () => {
    roots = await guest.uniqueRoots('peer', { dstProps: { mountpoint: 'none' } });
    stateDir = `${TEST_ROOT}/${uniqueName('state-peer-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await roots?.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('bookmark as the only common point: every snapshot destroyed on the source, the next cycle goes from the bookmark, then rests', async () => {
    await gx(`zfs create '${roots.src}/bm only'`);
    await write('bm only', 64);
    expect((await sync([S('bm only'), D('bm only')])).code).toBe(0);
    for (const snap of (await gx(`zfs list -H -o name -t snapshot -d 1 '${roots.src}/bm only'`)).trim().split('\n')) await gx(`zfs destroy '${snap}'`);
    // Only the cursor bookmark is left on the source. Without a snapshot `written` counts everything, so the next
    // cycle takes a sync snapshot and sends it as an increment from the bookmark (not a full send), then rests.
    let r = await sync([S('bm only'), D('bm only')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json!.report.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['incremental']);
    expect(r.json!.report.targets[0]!.datasets[0]!.steps[0]!.from).toMatch(/#zfailover-cursor_/);
    await expectEqual('bm only');
    r = await sync([S('bm only'), D('bm only')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json!.report.targets[0]!.datasets[0]!.outcome).toBe('nothing-to-do');
    await write('bm only', 32, 'more');
    r = await sync([S('bm only'), D('bm only')]);
    expect(r.code, r.stdout).toBe(0);
    await expectEqual('bm only');
  });

  it('target full mid-transfer, then freed: the partial receive is resumed, not restarted', async () => {
    // The replica's parent has a quota smaller than the increment: the receive runs out of space mid-stream.
    await gx(`zfs create '${roots.src}/full' && zfs create -o quota=2M '${roots.dst}/q'`);
    await write('full', 64);
    expect((await sync([S('full'), D('q/full')])).code).toBe(0);
    await write('full', 4096, 'big');
    const cut = await sync([S('full'), D('q/full')]);
    expect(cut.code, cut.stdout).not.toBe(0);
    expect(cut.stdout).toMatch(/quota|space/i);
    const token = (await gx(`zfs get -H -o value receive_resume_token '${roots.dst}/q/full'`)).trim();
    expect(token, 'the out-of-space receive left a resumable state').not.toBe('-');
    await gx(`zfs set quota=none '${roots.dst}/q'`);
    const r = await sync([S('full'), D('q/full')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json!.report.targets[0]!.datasets[0]!.steps[0]!.kind).toBe('resume');
    expect(await newestGuid(`${roots.dst}/q/full`)).toBe(await newestGuid(`${roots.src}/full`));
    expect(await sums(`${roots.dst}/q/full`)).toBe(await sums(`${roots.src}/full`));
  });

  it('a raw encrypted tree: the replica stays locked, opens with the source key, and equals it; incrementals need no key', async () => {
    const key = `/tmp/${roots.name}.key`;
    await gx(`printf 'peer-cases-passphrase' > ${key}`);
    await gx(`zfs create -o encryption=on -o keyformat=passphrase -o keylocation=file://${key} '${roots.src}/enc' && zfs create '${roots.src}/enc/child'`);
    await write('enc', 64);
    await write('enc/child', 64);
    let r = await sync(['-r', S('enc'), D('enc')]);
    expect(r.code, r.stdout).toBe(0);
    expect(await gx(`zfs get -H -o value keystatus '${roots.dst}/enc' '${roots.dst}/enc/child'`)).toBe('unavailable\nunavailable\n');
    await write('enc/child', 32, 'more');
    r = await sync(['-r', S('enc'), D('enc')]);
    expect(r.code, r.stdout).toBe(0);
    expect(await newestGuid(`${roots.dst}/enc/child`)).toBe(await newestGuid(`${roots.src}/enc/child`));
    // The replica opens with the source's key (raw stream: same wrapping key), and its files are the source's.
    // Each dataset arrives in its own raw stream: the child is its own encryption root on the replica (same key).
    await gx(
      `zfs list -H -o name,encryptionroot -r '${roots.dst}/enc' | awk -F'\\t' '$1 == $2 {print $1}' | while read -r d; do zfs load-key -L file://${key} "$d"; done`,
    );
    try {
      expect(await sums(`${roots.dst}/enc/child`)).toBe(await sums(`${roots.src}/enc/child`));
      expect(await sums(`${roots.dst}/enc`)).toBe(await sums(`${roots.src}/enc`));
    } finally {
      await gx(`zfs unload-key -r '${roots.dst}/enc'`);
    }
    // After the key was unloaded on the target, the next raw incremental still goes through.
    await write('enc', 16, 'after-unload');
    r = await sync(['-r', S('enc'), D('enc')]);
    expect(r.code, r.stdout).toBe(0);
    expect(await newestGuid(`${roots.dst}/enc`)).toBe(await newestGuid(`${roots.src}/enc`));
  });
});
