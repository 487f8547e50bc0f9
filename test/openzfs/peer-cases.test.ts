// Scenario families from the peers' OpenZFS suites (syncoid, zrepl, zfs_autobackup, bzfs) run against zfailover's
// documented behaviour on the qemu guest, each verified by GUIDs and checksums: the cursor bookmark as the only
// and newest common point, a target that fills up mid-transfer and is freed (resume), a raw encrypted tree whose
// replica opens with the source's key; stale cursors (a killed run's old one retired, a removed target's kept as
// its base, foreign bookmarks untouched); a bandwidth-limited transfer whose whole session is SIGKILLed, then
// resumed; a plain source received into an encrypted parent, its key unloaded (one line, the printed fix) and
// loaded again; holds after a run killed between hold and release, and a foreign hold on a sync snapshot; the
// snapshot being sent destroyed by the operator mid-stream. Families already in sync.test.ts (resume after a
// SIGKILL of the main process/ssh cut/deadline, a token whose snapshot is gone, bookmark incrementals,
// written-based skips, compressed sends) are not repeated here.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliBuilt, runCli } from '../helpers/cli.js';
import { fixesOf, NAGIOS_ILLEGAL, paste } from '../helpers/printed.js';
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
  /** The replica `dst` (below the target root, default the source's name) equals the source by GUID and checksums. */
  const expectEqual = async (name: string, dst = name) => {
    expect(await newestGuid(`${roots.dst}/${dst}`)).toBe(await newestGuid(`${roots.src}/${name}`));
    expect(await sums(`${roots.dst}/${dst}`)).toBe(await sums(`${roots.src}/${name}`));
  };
  const newestSnap = async (ds: string) => (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 '${ds}' | tail -n 1`)).trim();
  const snapshots = async (ds: string) => (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 '${ds}'`)).trim().split('\n').filter(Boolean);
  /** Short names (after `#`) of a dataset's bookmarks, sorted. */
  const bookmarks = async (ds: string) =>
    (await gx(`zfs list -H -o name -t bookmark -d 1 '${ds}'`))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((n) => n.slice(n.indexOf('#') + 1))
      .sort();
  /** `<short snapshot name> <tag>` of every user hold on a dataset's snapshots, sorted. */
  const holds = async (ds: string) =>
    (await gx(`zfs list -H -o name -t snapshot -d 1 '${ds}' | xargs -r -d '\\n' zfs holds -H`))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [snap, tag] = l.split('\t');
        return `${snap!.slice(snap!.indexOf('@') + 1)} ${tag}`;
      })
      .sort();
  /** Polls `check` (no fixed sleeps as preconditions); the bound only guards a hang. */
  const until = async (what: string, check: () => Promise<boolean>, ended?: () => number | null | undefined): Promise<void> => {
    for (const bound = Date.now() + 300_000; Date.now() < bound;) {
      if (await check()) return;
      const code = ended?.();
      if (code !== undefined) throw new Error(`the sync ended (exit ${code}) before ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`not within 300 s: ${what}`);
  };
  /** Bytes the running resumable receive into `ds` has written so far (its hidden `%recv` clone); 0 when none runs. */
  const receivedBytes = async (ds: string): Promise<number> => {
    const r = await guest.run(`zfs get -H -p -o value written '${ds}/%recv'`);
    return r.exitCode === 0 && /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : 0;
  };
  /** No zfs receive into `ds` runs in the guest (the bracket keeps pgrep from matching the shell that runs it). */
  const noReceiver = async (ds: string) => (await guest.run(`pgrep -f '[z]fs rec[a-z]* .*${ds}'`)).exitCode === 1;
  const token = async (ds: string) => (await gx(`zfs get -H -o value receive_resume_token '${ds}'`)).trim();
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

  it("stale cursors: a killed run's old cursor is retired, a removed target keeps its own as its base, foreign bookmarks are never touched", async () => {
    const src = `${roots.src}/cur sor`;
    const id = ['--id', 'peers-cur'];
    await gx(`zfs create '${src}'`);
    await write('cur sor', 32);
    await gx(`zfs snapshot '${src}@operator-old'`);
    await write('cur sor', 32, 'second');
    let r = await sync([S('cur sor'), D('cur a'), D('cur b')], id);
    expect(r.code, r.stdout).toBe(0);
    const first = await bookmarks(src);
    const m = /^zfailover-cursor_peers-cur_([A-Za-z0-9.-]+)_t1_(\d+)$/.exec(first.find((b) => b.includes('_t1_')) ?? '');
    expect(m, first.join('\n')).not.toBeNull();
    const [, inst, g1] = m!;
    const cursor = (t: string, guid: string) => `zfailover-cursor_peers-cur_${inst}_${t}_${guid}`;
    expect(first).toEqual([cursor('t1', g1!), cursor('t2', g1!)].sort());
    const s1 = await newestSnap(src);
    expect(s1).toMatch(/@zfailover-sync_peers-cur_/);
    // Another tool's bookmarks, another job's cursor, another installation's cursor of this job (same GUID), and
    // this job's own cursor of t1 on an older GUID, as a run killed between creating the new cursor and
    // destroying the old one leaves it (design §3: destroyed by sync of that installation once the next exists).
    const foreign = [
      'syncoid_peer-host_2026-12-06:12:00:00',
      `zrepl_CURSOR_G_${BigInt(g1!).toString(16).padStart(16, '0')}_J_other`,
      `zfailover-cursor_other-job_${inst}_t1_${g1}`,
      `zfailover-cursor_peers-cur_elsewhere-abc123_t1_${g1}`,
    ];
    for (const b of foreign) await gx(`zfs bookmark '${s1}' '${src}#${b}'`);
    const oldGuid = (await gx(`zfs get -H -p -o value guid '${src}@operator-old'`)).trim();
    await gx(`zfs bookmark '${src}@operator-old' '${src}#${cursor('t1', oldGuid)}'`);

    // t2 removed from the job: t1's stale cursors go, t2's stays (no space, pins nothing), the foreign ones stay.
    await write('cur sor', 16, 'third');
    r = await sync([S('cur sor'), D('cur a')], id);
    expect(r.code, r.stdout).toBe(0);
    const g2 = await newestGuid(src);
    expect(await bookmarks(src)).toEqual([...foreign, cursor('t1', g2), cursor('t2', g1!)].sort());
    await expectEqual('cur sor', 'cur a');
    // The cleanup retired t2's common snapshot (t2 is no target of the job any more): its cursor is its only base.
    expect(await snapshots(src)).not.toContain(s1);

    // t2 added back: incremental from its own cursor, not a full send and no conflict.
    r = await sync([S('cur sor'), D('cur a'), D('cur b')], id);
    expect(r.code, r.stdout).toBe(0);
    const t2 = r.json!.report.targets[1]!.datasets[0]!;
    expect(t2.steps.map((s) => s.kind)).toEqual(['incremental']);
    expect(t2.steps[0]!.from).toBe(`${src}#${cursor('t2', g1!)}`);
    await expectEqual('cur sor', 'cur b');
    const g3 = await newestGuid(src);
    expect(await bookmarks(src)).toEqual([...foreign, cursor('t1', g3), cursor('t2', g3)].sort());

    // t2 removed for good: its cursor destroyed by hand (design §3), the next cycles neither miss nor recreate it.
    await gx(`zfs destroy '${src}#${cursor('t2', g3)}'`);
    await write('cur sor', 16, 'fourth');
    r = await sync([S('cur sor'), D('cur a')], id);
    expect(r.code, r.stdout).toBe(0);
    expect(await bookmarks(src)).toEqual([...foreign, cursor('t1', await newestGuid(src))].sort());
    await expectEqual('cur sor', 'cur a');
  });

  it('resume after a killed, bandwidth-limited transfer: the whole session SIGKILLed mid-stream, the next run resumes from the token', async () => {
    const dst = `${roots.dst}/slow lane`;
    await gx(`zfs create '${roots.src}/slow lane'`);
    await write('slow lane', 16);
    expect((await sync([S('slow lane'), D('slow lane')])).code).toBe(0);
    // 2 MiB at 64 KiB/s: over 30 s of stream, several of the guest's 5 s transaction groups, so the polled
    // `written` of the partial receive shows data long before the end.
    await write('slow lane', 2048, 'big');
    // zfailover in a process group of its own (detached), killed with the process group of each stage it started
    // (every stage runs in its own session), as a power cut of the local side would: nothing is left to finish.
    const run = spawn(BIN, ['--state-dir', stateDir, 'sync', ...guest.cliArgs, '--bwlimit', '64K', S('slow lane'), D('slow lane')], {
      detached: true,
      stdio: 'ignore',
    });
    let exit: number | null | undefined;
    const exited = new Promise<void>((res) => run.on('exit', (code) => ((exit = code), res())));
    await until(
      'the receiver took in 128 KiB',
      async () => (await receivedBytes(dst)) >= 128 * 1024,
      () => exit,
    );
    const stages = (await execa('ps', ['-o', 'pgid=', '--ppid', String(run.pid)])).stdout.split('\n').map((l) => Number(l.trim()));
    const groups = new Set([run.pid!, ...stages.filter((n) => n > 0)]);
    expect(groups.size, 'zfailover and its stages').toBeGreaterThan(1);
    for (const pgid of groups) process.kill(-pgid, 'SIGKILL');
    await exited;
    // The guest's receiver sees its stream end and saves the partial state: wait for that, not for a time.
    await until('the cut receive saved its resumable state', async () => (await noReceiver(dst)) && (await token(dst)) !== '-');
    const r = await sync([S('slow lane'), D('slow lane')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json!.report.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toContain('resume');
    expect(r.json!.report.targets[0]!.datasets[0]!.steps[0]!.kind).toBe('resume');
    await expectEqual('slow lane');
    expect(await token(dst)).toBe('-');
  });

  it('a plain source into an encrypted parent: the replica inherits its encryption; the key unloaded gives one line and a fix that loads it', async () => {
    const key = `/tmp/${roots.name}-vault.key`;
    const vault = `${roots.dst}/my vault`;
    const dst = `${vault}/plain data`;
    await gx(`printf 'peer-vault-passphrase' > ${key}`);
    await gx(`zfs create -o encryption=on -o keyformat=passphrase -o keylocation=file://${key} '${vault}'`);
    await gx(`zfs create '${roots.src}/plain data'`);
    await write('plain data', 64);
    let r = await sync([S('plain data'), guest.side(dst)]);
    expect(r.code, r.stdout).toBe(0);
    // A non-raw stream is encrypted on arrival under the parent's key: the replica is no encryption root of its own.
    const props = async (ds: string) => (await gx(`zfs get -H -o value encryption,encryptionroot,keyformat,keystatus '${ds}'`)).trim().split('\n');
    expect(await props(dst)).toEqual([...(await props(vault)).slice(0, 1), vault, 'passphrase', 'available']);
    expect((await gx(`zfs get -H -o value keylocation '${vault}'`)).trim()).toBe(`file://${key}`);
    expect((await gx(`zfs get -H -o value encryption '${roots.src}/plain data'`)).trim()).toBe('off');
    await write('plain data', 32, 'more');
    r = await sync([S('plain data'), guest.side(dst)]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json!.report.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['incremental']);
    await expectEqual('plain data', 'my vault/plain data');

    // The target's key unloaded (nothing of the encryption root mounted: the replica is received unmounted).
    expect((await gx(`zfs get -H -o value -r -t filesystem mounted '${vault}'`)).trim().split('\n')).toEqual(['no', 'no']);
    await gx(`zfs unload-key '${vault}'`);
    const before = await snapshots(dst);
    const srcBefore = await snapshots(`${roots.src}/plain data`);
    await write('plain data', 16, 'while locked');
    const locked = await runCli(['--state-dir', stateDir, 'sync', ...guest.cliArgs, S('plain data'), guest.side(dst)], { timeoutMs: 300_000 });
    expect([1, 2], locked.stdout).toContain(locked.code);
    // CRITICAL (a person must load the key), one line naming the refused receive, and the fix below it.
    expect(locked.line).toMatch(/^CRITICAL: .* zfs receive on root@127\.0\.0\.1:\d+: cannot receive/);
    expect(locked.line.split(' | ')[0]).not.toMatch(NAGIOS_ILLEGAL);
    expect(locked.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    expect(await snapshots(dst), 'the replica is untouched').toEqual(before);
    // Nothing of the source was lost: its snapshots are all kept, plus the sync snapshot of this run.
    expect((await snapshots(`${roots.src}/plain data`)).slice(0, srcBefore.length)).toEqual(srcBefore);
    const fix = fixesOf(locked).find((l) => l.includes('load-key'));
    expect(fix, locked.stdout).toMatch(/^ssh -p \d+ -i \S+ (-o \S+ )+root@127\.0\.0\.1 '/);
    expect(fix).toMatch(/  # loads the key of .*, the replica's encryption root; the next run sends$/);
    await paste(fix!);
    expect((await gx(`zfs get -H -o value keystatus '${dst}'`)).trim()).toBe('available');
    r = await sync([S('plain data'), guest.side(dst)]);
    expect(r.code, r.stdout).toBe(0);
    await expectEqual('plain data', 'my vault/plain data');
  });

  it('holds: a run killed between hold and release leaves two, the next keeps exactly one per target; a foreign hold keeps its sync snapshot and fails nothing', async () => {
    const name = 'hold fast';
    const src = `${roots.src}/${name}`;
    const dst = `${roots.dst}/${name}`;
    const id = ['--id', 'peers-hold'];
    await gx(`zfs create '${src}'`);
    await write(name, 32);
    let r = await sync([S(name), D(name)], id);
    expect(r.code, r.stdout).toBe(0);
    const s1 = (await newestSnap(dst)).split('@')[1]!;
    const [held] = await holds(dst);
    const tag = held!.split(' ')[1]!;
    expect(tag).toMatch(/^zfailover_peers-hold_[A-Za-z0-9.-]+_t1$/);
    expect(await holds(dst)).toEqual([`${s1} ${tag}`]);

    // Killed once the new snapshot is confirmed on the target, before the hold moved (ZFAILOVER_FAULT, the fault
    // matrix's seam); then the hold that run would have put next, by hand: both snapshots carry our tag now.
    await write(name, 16, 'second');
    const killed = await runCli(['--state-dir', stateDir, 'sync', ...guest.cliArgs, ...id, S(name), D(name)], {
      env: { ZFAILOVER_FAULT: 'confirmed' },
      timeoutMs: 300_000,
    });
    expect(killed.code, killed.stdout).not.toBe(0);
    const s2 = (await newestSnap(dst)).split('@')[1]!;
    expect(s2).not.toBe(s1);
    expect(await newestGuid(dst)).toBe(await newestGuid(src));
    await gx(`zfs hold ${tag} '${dst}@${s2}'`);
    // An operator's (or another tool's) hold on the older sync snapshot, on both sides.
    await gx(`zfs hold keep-for-audit '${dst}@${s1}' && zfs hold keep-for-audit '${src}@${s1}'`);
    expect(await holds(dst)).toEqual([`${s1} ${tag}`, `${s1} keep-for-audit`, `${s2} ${tag}`].sort());

    r = await sync([S(name), D(name)], id);
    expect(r.code, r.stdout).toBe(0);
    expect(await holds(dst), 'ours only on the common snapshot; the foreign hold untouched').toEqual([`${s1} keep-for-audit`, `${s2} ${tag}`].sort());
    expect(await snapshots(dst), 'the foreign-held sync snapshot is kept').toContain(`${dst}@${s1}`);
    expect(await snapshots(src)).toContain(`${src}@${s1}`);
    expect(await holds(src)).toEqual([`${s1} keep-for-audit`]);

    // Released by its owner, it goes with the next cycle like any superseded sync snapshot.
    await gx(`zfs release keep-for-audit '${dst}@${s1}' && zfs release keep-for-audit '${src}@${s1}'`);
    await write(name, 16, 'third');
    r = await sync([S(name), D(name)], id);
    expect(r.code, r.stdout).toBe(0);
    const s3 = (await newestSnap(dst)).split('@')[1]!;
    expect(await holds(dst)).toEqual([`${s3} ${tag}`]);
    expect(await snapshots(dst)).toEqual([`${dst}@${s3}`]);
    expect(await snapshots(src)).toEqual([`${src}@${s3}`]);
    expect(await holds(src), 'a primary source carries no hold of ours').toEqual([]);
    await expectEqual(name);
  });

  it('the snapshot being sent destroyed by the operator mid-stream: zfs refuses it (busy), the run ends OK', async () => {
    const name = 'busy snap';
    const dst = `${roots.dst}/${name}`;
    await gx(`zfs create '${roots.src}/${name}'`);
    await write(name, 16);
    expect((await sync([S(name), D(name)])).code).toBe(0);
    // 12 MiB at 256 KiB/s: zfs send on the source stays blocked behind the throttle (ssh windows and pipes hold a
    // few MiB) for half a minute, while the receiver already shows data: the destroy below meets a running send.
    await write(name, 12 * 1024, 'big');
    const run = execa(BIN, ['--state-dir', stateDir, 'sync', ...guest.cliArgs, '--json', '--bwlimit', '256K', S(name), D(name)], { reject: false });
    const sending = async () => (await guest.run(`pgrep -f '[z]fs send .*${roots.src}/${name}@'`)).exitCode === 0;
    await until(
      'the receiver took in 128 KiB while zfs send still ran',
      async () => (await receivedBytes(dst)) >= 128 * 1024 && (await sending()),
      () => (typeof run.exitCode === 'number' ? run.exitCode : undefined),
    );
    const sent = await newestSnap(`${roots.src}/${name}`);
    expect(sent, 'the sync snapshot this run takes and sends').toMatch(/@zfailover-sync_/);
    const d = await guest.run(`zfs destroy '${sent}'`);
    expect(d.exitCode, d.stderr).not.toBe(0);
    expect(d.stderr).toMatch(/busy|held/);
    const r = await run;
    expect(r.exitCode, r.stdout).toBe(0);
    expect(await newestSnap(`${roots.src}/${name}`)).toBe(sent);
    await expectEqual(name);
  });
});
