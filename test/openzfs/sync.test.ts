// `zfailover sync` against real OpenZFS 2.3 (qemu guest, both sides remote, relayed through this host): resume
// after SIGKILL, deadline and an ssh cut, aborting a token whose snapshot is gone, bookmark-based incrementals,
// no leaked holds/bookmarks after 20 cycles, fan-out with a dead target, raw encrypted sends, constant calls.
import { execa } from 'execa';
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliBuilt, runCli } from '../helpers/cli.js';
import { optionLetters } from '../helpers/printed.js';
import { openzfsGuest, skipNote, type GuestRoots, type GuestShim, type OpenzfsGuest } from '../helpers/openzfs.js';
import { SHIM_DIR } from '../helpers/zfs-call-log.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

interface JsonReport {
  state: string;
  report: { targets: { id: string; state: string; datasets: { outcome: string; steps: { kind: string; from: string | null; ok: boolean | null }[] }[] }[] };
}

describe.skipIf(reason)(`openzfs: zfailover sync against OpenZFS 2.3${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let stateDir: string;
  const sync = (args: string[], extra: string[] = []) => runCli(['--state-dir', stateDir, 'sync', ...guest.cliArgs, ...extra, ...args], { timeoutMs: 300_000 });
  const json = async (args: string[], extra: string[] = []) => {
    const r = await sync(args, ['--json', ...extra]);
    return { ...r, json: JSON.parse(r.stdout) as JsonReport };
  };
  const S = (name: string) => guest.side(`${roots.src}/${name}`);
  const D = (name: string) => guest.side(`${roots.dst}/${name}`);
  const gx = (cmd: string) => guest.exec(cmd);
  /** Checksums of a dataset's newest snapshot, read through a clone inside the guest. */
  const sums = async (ds: string): Promise<string> => {
    const snap = (await gx(`zfs list -H -p -o name -t snapshot -s createtxg -d 1 ${ds} | tail -n 1`)).trim();
    const clone = `${ds.split('/')[0]}/${uniqueName('verify')}`;
    await gx(`zfs clone -o mountpoint=/tmp/${clone.replace(/\//g, '_')} ${snap} ${clone}`);
    try {
      return (await gx(`cd /tmp/${clone.replace(/\//g, '_')} && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`)).trim();
    } finally {
      await gx(`zfs destroy ${clone}`);
    }
  };
  const newestGuid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 ${ds} | tail -n 1`)).trim();
  const expectEqual = async (a: string, b: string) => {
    expect(await newestGuid(`${roots.dst}/${b}`)).toBe(await newestGuid(`${roots.src}/${a}`));
    expect(await sums(`${roots.dst}/${b}`)).toBe(await sums(`${roots.src}/${a}`));
  };
  const write = (name: string, kib: number, file = 'blob') => gx(`head -c ${kib * 1024} /dev/urandom > /${roots.src}/${name}/${file}`);
  /** Bytes a running resumable receive into `ds` has written so far (its hidden `%recv` clone); 0 when none runs. */
  const receivedBytes = async (ds: string): Promise<number> => {
    const r = await guest.run(`zfs get -H -p -o value written '${ds}/%recv'`);
    return r.exitCode === 0 && /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : 0;
  };
  /**
   * Waits until the receiver has really taken in data, the precondition for a resume token: the cut that follows
   * (SIGKILL, SIGTERM, a killed ssh) then lands mid-stream on a machine of any speed. The bound only guards a hang.
   */
  const untilReceiving = async (ds: string, run: { exitCode?: number | null }, min = 128 * 1024): Promise<void> => {
    for (const bound = Date.now() + 300_000; Date.now() < bound;) {
      if ((await receivedBytes(ds)) >= min) return;
      if (typeof run.exitCode === 'number') throw new Error(`the sync into ${ds} ended (exit ${run.exitCode}) before the receiver had ${min} bytes`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`no receive into ${ds} reached ${min} bytes within 300 s`);
  };
  /**
   * A sync run in the background (to be cut), throttled so that it is still streaming when the test cuts it: at
   * 96 KiB/s a 3 MiB increment takes over 30 s, several of the guest's 5 s transaction groups, so the polled
   * `written` of the partial receive shows data well before the end (at 256 KiB/s it once finished unseen).
   */
  const background = (name: string) => execa(BIN, ['--state-dir', stateDir, 'sync', ...guest.cliArgs, '--bwlimit', '96K', S(name), D(name)], { reject: false });

  beforeAll(async () => {
    roots = await guest.uniqueRoots('sync', { dstProps: { mountpoint: 'none' } });
    stateDir = `${TEST_ROOT}/${uniqueName('state-oz-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await roots?.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('replicates, then finds nothing to do without taking a snapshot (written=0)', async () => {
    await gx(`zfs create ${roots.src}/basic`);
    await write('basic', 64);
    let r = await sync([S('basic'), D('basic')]);
    expect(r.code, r.stdout).toBe(0);
    await expectEqual('basic', 'basic');
    const before = await gx(`zfs list -H -o name -t snapshot -r ${roots.src}/basic`);
    r = await sync([S('basic'), D('basic')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(/up to date/);
    expect(await gx(`zfs list -H -o name -t snapshot -r ${roots.src}/basic`)).toBe(before);
    // The replica: readonly, unmounted (recv -u), role/epoch never received.
    const props = await gx(`zfs get -H -o property,value readonly,mounted ${roots.dst}/basic`);
    expect(props).toMatch(/readonly\ton/);
    expect(props).toMatch(/mounted\tno/);
  });

  it('resumes a transfer cut by the deadline, and one whose process was SIGKILLed', async () => {
    await gx(`zfs create ${roots.src}/res`);
    await write('res', 16);
    expect((await sync([S('res'), D('res')])).code).toBe(0);

    // A deadline cannot wait for a condition, so this one bound stays: at 32 KiB/s the 4 MiB stream needs over
    // two minutes, and the 40 s deadline leaves the listings and ssh set-up half a minute even on a loaded
    // machine with the TCG guest (they take 2-5 s idle). The deadline must land mid-stream for a token to exist.
    await write('res', 4096);
    const cut = await sync([S('res'), D('res')], ['--bwlimit', '32K', '--deadline', '40s']);
    expect(cut.code, cut.stdout).toBe(1);
    expect(cut.line).toMatch(/^WARNING: .*deadline/);
    expect((await gx(`zfs get -H -o value receive_resume_token ${roots.dst}/res`)).trim(), 'the deadline fell before any byte reached the receiver').not.toBe(
      '-',
    );
    const resumed = await json([S('res'), D('res')]);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(resumed.json.report.targets[0]!.datasets[0]!.steps[0]!.kind).toBe('resume');
    await expectEqual('res', 'res');

    await write('res', 3072, 'blob2');
    const victim = background('res');
    await untilReceiving(`${roots.dst}/res`, victim);
    victim.kill('SIGKILL');
    await victim;
    // The next runs recover: orphans are killed, the partial receive is resumed (a busy target first is WARNING).
    let last = await json([S('res'), D('res')]);
    for (let i = 0; i < 3 && last.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      last = await json([S('res'), D('res')]);
    }
    expect(last.code, last.stdout).toBe(0);
    await expectEqual('res', 'res');
    expect((await gx(`zfs get -H -o value receive_resume_token ${roots.dst}/res`)).trim()).toBe('-');
  }, 600_000); // a 40 s deadline, two 3-4 MiB transfers and checksums through a TCG guest: minutes when loaded

  it('resumes after the receiving ssh connection is cut', async () => {
    await gx(`zfs create ${roots.src}/cut`);
    await write('cut', 16);
    expect((await sync([S('cut'), D('cut')])).code).toBe(0);
    await write('cut', 3072);
    const run = background('cut');
    await untilReceiving(`${roots.dst}/cut`, run);
    const killed = await execa('pkill', ['-KILL', '-f', `ssh .*zfs receive .*${roots.dst}/cut`], { reject: false });
    expect(killed.exitCode, 'the receiving ssh was running').toBe(0);
    const r = await run;
    expect(r.exitCode, r.stdout).toBe(1);
    let next = await json([S('cut'), D('cut')]);
    for (let i = 0; i < 3 && next.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 2000));
      next = await json([S('cut'), D('cut')]);
    }
    expect(next.code, next.stdout).toBe(0);
    await expectEqual('cut', 'cut');
  });

  it('aborts a resume token whose snapshot is gone on the source, then re-plans', async () => {
    await gx(`zfs create ${roots.src}/gone`);
    await write('gone', 16);
    expect((await sync([S('gone'), D('gone')])).code).toBe(0);
    await write('gone', 3072);
    // A partial receive, made deterministically: SIGTERM (as Monit's timeout sends) once the receiver has data.
    const run = background('gone');
    await untilReceiving(`${roots.dst}/gone`, run);
    run.kill('SIGTERM');
    expect((await run).exitCode).toBe(1);
    expect((await gx(`zfs get -H -o value receive_resume_token ${roots.dst}/gone`)).trim()).not.toBe('-');
    const newest = (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 ${roots.src}/gone | tail -n 1`)).trim();
    await gx(`zfs destroy ${newest}`);
    const r = await json([S('gone'), D('gone')]);
    expect(r.code, JSON.stringify(r.json.report)).toBe(0);
    expect(r.json.report.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['abort-resume', 'incremental']);
    await expectEqual('gone', 'gone');
  });

  it('starts an incremental from the cursor bookmark when the common snapshot is destroyed on the source', async () => {
    await gx(`zfs create ${roots.src}/bm`);
    await write('bm', 32);
    expect((await sync([S('bm'), D('bm')])).code).toBe(0);
    const common = (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 ${roots.src}/bm | tail -n 1`)).trim();
    expect(await gx(`zfs list -H -o name -t bookmark -d 1 ${roots.src}/bm`)).toMatch(/#zfailover-cursor_adhoc-[0-9a-f]{8}_[A-Za-z0-9.-]+_t1_\d+/);
    await gx(`zfs destroy ${common}`);
    await write('bm', 32);
    const r = await json([S('bm'), D('bm')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.report.targets[0]!.datasets[0]!.steps[0]!.from).toMatch(/#zfailover-cursor_/);
    await expectEqual('bm', 'bm');
  });

  it('leaks no holds, bookmarks or sync snapshots over 20 cycles (tree of 3 datasets)', async () => {
    await gx(`zfs create ${roots.src}/leak && zfs create ${roots.src}/leak/a && zfs create ${roots.src}/leak/b`);
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) await gx(`date > /${roots.src}/leak/f; date > /${roots.src}/leak/a/f`);
      const r = await sync(['-r', S('leak'), D('leak')]);
      expect(r.code, `cycle ${i}: ${r.stdout}`).toBe(0);
    }
    for (const ds of ['leak', 'leak/a', 'leak/b']) {
      const bookmarks = (await gx(`zfs list -H -o name -t bookmark -d 1 ${roots.src}/${ds}`)).trim().split('\n').filter(Boolean);
      expect(bookmarks, ds).toHaveLength(1);
      const srcSync = (await gx(`zfs list -H -o name -t snapshot -d 1 ${roots.src}/${ds}`)).split('\n').filter((n) => n.includes('@zfailover-sync_'));
      const dstSnaps = (await gx(`zfs list -H -o name -t snapshot -d 1 ${roots.dst}/${ds}`)).trim().split('\n').filter(Boolean);
      expect(srcSync, ds).toHaveLength(1);
      expect(
        dstSnaps.filter((n) => n.includes('@zfailover-sync_')),
        ds,
      ).toHaveLength(1);
      const holds = (await gx(`zfs holds -H ${dstSnaps.join(' ')}`)).trim().split('\n').filter(Boolean);
      expect(holds, ds).toHaveLength(1);
      expect(holds[0]).toMatch(/\tzfailover_adhoc-[0-9a-f]{8}_[A-Za-z0-9.-]+_t1\t/);
      expect(bookmarks[0]!.split('_').at(-1)).toBe((await gx(`zfs get -H -p -o value guid ${dstSnaps.at(-1)}`)).trim());
    }
  }, 600_000);

  it('fans out to two targets; a dead one is WARNING and the other replicates', async () => {
    await gx(`zfs create ${roots.src}/fan`);
    await write('fan', 32);
    const dead = `root@127.0.0.1:1:${roots.dst}/fan-dead`;
    const r = await sync([S('fan'), D('fan-a'), dead]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/t1: \d+ snapshots?/);
    expect(r.stdout).toMatch(/t2: .*unreachable/);
    await expectEqual('fan', 'fan-a');
  });

  it('replicates an encrypted dataset raw: it stays encrypted on the target, the key is never needed', async () => {
    await gx(`printf 'zfailover-test-key' > /tmp/${roots.name}.key`);
    await gx(`zfs create -o encryption=aes-256-gcm -o keyformat=passphrase -o keylocation=file:///tmp/${roots.name}.key ${roots.src}/enc`);
    await write('enc', 64);
    const r = await json([S('enc'), D('enc')]);
    expect(r.code, r.stdout).toBe(0);
    const props = await gx(`zfs get -H -o property,value encryption,keystatus,encryptionroot ${roots.dst}/enc`);
    expect(props).toMatch(/encryption\taes-256-gcm/);
    expect(props).toMatch(/keystatus\tunavailable/);
    expect(props).toMatch(new RegExp(`encryptionroot\\t${roots.dst}/enc`));
    expect(await newestGuid(`${roots.dst}/enc`)).toBe(await newestGuid(`${roots.src}/enc`));
    // Incremental raw too.
    await write('enc', 16);
    expect((await sync([S('enc'), D('enc')])).code).toBe(0);
    expect(await newestGuid(`${roots.dst}/enc`)).toBe(await newestGuid(`${roots.src}/enc`));
  });

  it('a target pool without feature flags (zpool create -d): the stream uses only what that pool can take', async () => {
    const pool = uniqueName('zfoold');
    await gx(`truncate -s 256M /root/${pool}.img && zpool create -d -m none ${pool} /root/${pool}.img`);
    try {
      await gx(`zfs create -o recordsize=1M ${roots.src}/pf && echo small > /${roots.src}/pf/small`);
      await write('pf', 3072);
      const target = guest.side(`${pool}/pf`);
      const dry = await sync([S('pf'), target], ['--dry-run']);
      const command = dry.stdout.split('\n').find((l) => l.includes('full:'))!;
      expect(command).toMatch(/zfs send src|zfs send [^|]*@/);
      const send = optionLetters(command, 'zfs send');
      for (const flag of ['c', 'L', 'e']) expect(send.has(flag), command).toBe(false);
      expect(optionLetters(command, 'zfs receive').has('s'), command).toBe(false);
      const first = await sync([S('pf'), target]);
      expect(first.code, first.stdout).toBe(0);
      await write('pf', 64, 'more');
      const second = await sync([S('pf'), target]);
      expect(second.code, second.stdout).toBe(0);
      expect((await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 ${pool}/pf | tail -n 1`)).trim()).toBe(await newestGuid(`${roots.src}/pf`));
      // The same job into a pool with every feature still gets the compressed, large-block stream.
      const full = await sync([S('pf'), D('pf')], ['--dry-run']);
      expect(full.stdout.split('\n').find((l) => l.includes('full:'))).toMatch(/zfs send -c -L -e /);
    } finally {
      await gx(`zpool destroy -f ${pool}; rm -f /root/${pool}.img`);
    }
  });

  it('a no-change cycle makes the same number of zfs calls for 1 dataset and for a tree of 11', async () => {
    let shim: GuestShim | undefined;
    try {
      shim = await guest.installShim(`${SHIM_DIR}/zfs`);
      await gx(`zfs create ${roots.src}/c1 && zfs create ${roots.src}/c11`);
      for (let i = 0; i < 10; i++) await gx(`zfs create ${roots.src}/c11/k${i}`);
      const counts: number[] = [];
      for (const ds of ['c1', 'c11']) {
        const args = ['--state-dir', stateDir, 'sync', ...shim.cliArgs, '-r', shim.side(`${roots.src}/${ds}`), shim.side(`${roots.dst}/${ds}`)];
        expect((await runCli(args, { timeoutMs: 300_000 })).code).toBe(0);
        await shim.clearCalls();
        const r = await runCli(args, { timeoutMs: 300_000 });
        expect(r.code, r.stdout).toBe(0);
        expect(r.line).toMatch(/up to date/);
        counts.push((await shim.calls()).length);
      }
      expect(counts[0]).toBe(counts[1]);
      expect(counts[0]).toBeLessThanOrEqual(2); // one listing per side; capabilities come from the cache
    } finally {
      await shim?.remove();
    }
  });
});
