// `zfailover sync` on real ZFS (zfs-fuse), run as an operator runs it (the built bin): full and incremental
// replication compared by checksum and GUID, trees, conflicts, fallbacks, overlap, SIGKILL recovery, call counts.
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, STATUS_LINE, BIN } from '../helpers/cli.js';
import { datasetChecksums, guidsOf, mountpointOf, snapshotChecksums, snapshotNames, writeRandom } from '../helpers/replica.js';
import { zfsCallLog } from '../helpers/zfs-call-log.js';
import { formatHoldTag } from '../../src/core/names.js';
import { readInstallationId } from '../../src/state/installation.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: zfailover sync, local${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let stateDir: string;
  const sync = (...args: string[]) => runCli(['--state-dir', stateDir, 'sync', ...args]);
  const newestSnap = async (ds: string) => (await snapshotNames(ds)).at(-1)!;
  const expectReplicaEqual = async (source: string, target: string) => {
    const newest = await newestSnap(target);
    expect(await snapshotChecksums(`${target}@${newest}`)).toEqual(await snapshotChecksums(`${source}@${newest}`));
    const sg = await guidsOf(source);
    const tg = await guidsOf(target);
    expect(tg[newest]).toBe(sg[newest]);
    return newest;
  };

  beforeAll(async () => {
    src = await createPool('zfosrc');
    dst = await createPool('zfodst');
    stateDir = `${TEST_ROOT}/${uniqueName('state-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await src?.destroy();
    await dst?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('replicates in full, then incrementally; the replica equals the source by checksum and GUID', async () => {
    await zfs('create', `${src.name}/data`);
    const mnt = await mountpointOf(`${src.name}/data`);
    await writeRandom(`${mnt}/a.bin`, 2);
    writeFileSync(`${mnt}/name with spaces.txt`, 'hello\n');

    const first = await sync(`${src.name}/data`, `${dst.name}/data`);
    expect(first.code, first.stdout).toBe(0);
    expect(first.line).toMatch(STATUS_LINE);
    expect(first.line).toMatch(new RegExp(`^OK: ${src.name}/data to ${dst.name}/data \\d+ snapshots? `));
    expect(first.stdout.split('\n')[0]!.length).toBeLessThan(200);
    await expectReplicaEqual(`${src.name}/data`, `${dst.name}/data`);

    await writeRandom(`${mnt}/b.bin`, 1);
    await zfs('snapshot', `${src.name}/data@zfs-auto-snap_frequent-2026-11-26-0500`); // a foreign snapshot in between
    appendFileSync(`${mnt}/name with spaces.txt`, 'more\n');
    const second = await sync(`${src.name}/data`, `${dst.name}/data`);
    expect(second.code, second.stdout).toBe(0);
    expect(second.line).toMatch(/ 2 snapshots /); // -I carried the foreign snapshot too
    const newest = await expectReplicaEqual(`${src.name}/data`, `${dst.name}/data`);
    const tg = await guidsOf(`${dst.name}/data`);
    expect(tg['zfs-auto-snap_frequent-2026-11-26-0500']).toBe((await guidsOf(`${src.name}/data`))['zfs-auto-snap_frequent-2026-11-26-0500']);
    // Only the newest sync snapshot survives on both sides; the replica is readonly and unmounted.
    const syncSnaps = (names: string[]) => names.filter((n) => n.startsWith('zfailover-sync_'));
    expect(syncSnaps(await snapshotNames(`${src.name}/data`))).toEqual([newest]);
    expect(syncSnaps(await snapshotNames(`${dst.name}/data`))).toEqual([newest]);
    expect(await zfs('get', '-H', '-o', 'value', 'readonly', `${dst.name}/data`)).toBe('on');
    expect(await zfs('get', '-H', '-o', 'value', 'mounted', `${dst.name}/data`)).toBe('no');

    // The state file the checks read.
    const jobs = readdirSync(`${stateDir}/jobs`);
    expect(jobs.length).toBe(1);
  });

  it('replicates a tree: new children get a full send, children removed on the source are reported and kept', async () => {
    await zfs('create', `${src.name}/tree`);
    await zfs('create', `${src.name}/tree/a`);
    await zfs('create', `${src.name}/tree/a/deep`);
    await zfs('create', `${src.name}/tree/b`);
    writeFileSync(`${await mountpointOf(`${src.name}/tree/a/deep`)}/f`, 'deep\n');
    let r = await sync('-r', `${src.name}/tree`, `${dst.name}/tree`);
    expect(r.code, r.stdout).toBe(0);
    for (const child of ['', '/a', '/a/deep', '/b']) await expectReplicaEqual(`${src.name}/tree${child}`, `${dst.name}/tree${child}`);

    await zfs('create', `${src.name}/tree/c`);
    writeFileSync(`${await mountpointOf(`${src.name}/tree/c`)}/new`, 'new child\n');
    await zfsRetry('destroy', '-r', `${src.name}/tree/b`);
    r = await sync('-r', `${src.name}/tree`, `${dst.name}/tree`);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`not on source any more (kept): ${dst.name}/tree/b`);
    await expectReplicaEqual(`${src.name}/tree/c`, `${dst.name}/tree/c`);
    expect(await zfs('list', '-H', '-o', 'name', `${dst.name}/tree/b`)).toBe(`${dst.name}/tree/b`);

    // Another cycle on the unchanged tree keeps everything in sync (zfs-fuse cannot tell "unchanged": it sends).
    r = await sync('-r', `${src.name}/tree`, `${dst.name}/tree`);
    expect(r.code, r.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/tree/a/deep`, `${dst.name}/tree/a/deep`);
  });

  it('--concurrency 3: a tree of siblings and grandchildren replicates equal; a printed fix repeats the flag', async () => {
    const tree = `${src.name}/par tree`;
    await zfs('create', tree);
    for (const c of ['a', 'b', 'c', 'd', 'a/x', 'a/y']) {
      await zfs('create', `${tree}/${c}`);
      writeFileSync(`${await mountpointOf(`${tree}/${c}`)}/f`, `${c}\n`);
    }
    const r = await sync('-r', '--concurrency', '3', tree, `${dst.name}/par tree`);
    expect(r.code, r.stdout).toBe(0);
    for (const c of ['', '/a', '/b', '/c', '/d', '/a/x', '/a/y']) await expectReplicaEqual(`${tree}${c}`, `${dst.name}/par tree${c}`);
    // A target-only snapshot makes a conflict: its fix line re-runs the same job, with the same flag.
    await zfs('snapshot', `${dst.name}/par tree/b@mine`);
    const c = await sync('-r', '--concurrency', '3', tree, `${dst.name}/par tree`);
    expect(c.code, c.stdout).toBe(2);
    expect(c.stdout).toMatch(/fix: .*zfailover .*sync .*--concurrency 3/);
  });

  it('refuses a modified target (CRITICAL, named conflict, resolving command) and leaves its data alone', async () => {
    await zfs('create', `${src.name}/mod`);
    writeFileSync(`${await mountpointOf(`${src.name}/mod`)}/f`, 'v1\n');
    expect((await sync(`${src.name}/mod`, `${dst.name}/mod`)).code).toBe(0);
    // Somebody turns readonly off and writes into the replica.
    await zfs('set', 'readonly=off', `${dst.name}/mod`);
    await zfs('mount', `${dst.name}/mod`);
    const tm = await mountpointOf(`${dst.name}/mod`);
    writeFileSync(`${tm}/local-change`, 'precious\n');
    await zfs('umount', `${dst.name}/mod`);
    writeFileSync(`${await mountpointOf(`${src.name}/mod`)}/f`, 'v2\n');

    const r = await sync(`${src.name}/mod`, `${dst.name}/mod`);
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(/^CRITICAL: .*target-modified/);
    expect(r.stdout).toMatch(/fix: .*--rollback-target/);
    await zfs('mount', `${dst.name}/mod`);
    expect(existsSync(`${tm}/local-change`)).toBe(true);
    await zfs('umount', `${dst.name}/mod`);

    // The operator decides to discard the change.
    const fixed = await sync('--rollback-target', `${src.name}/mod`, `${dst.name}/mod`);
    expect(fixed.code, fixed.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/mod`, `${dst.name}/mod`);
  });

  it('falls back to an older common snapshot when the newest common one is deleted on the target', async () => {
    await zfs('create', `${src.name}/fb`);
    const mnt = await mountpointOf(`${src.name}/fb`);
    writeFileSync(`${mnt}/f`, '1\n');
    await zfs('snapshot', `${src.name}/fb@manual-1`);
    expect((await sync(`${src.name}/fb`, `${dst.name}/fb`)).code).toBe(0);
    const newest = await newestSnap(`${dst.name}/fb`);
    const tag = formatHoldTag(await syncJobId(stateDir, `${src.name}/fb`), readInstallationId(stateDir)!, 't1');
    await zfs('release', '-r', tag, `${dst.name}/fb@${newest}`);
    await zfs('destroy', `${dst.name}/fb@${newest}`);
    writeFileSync(`${mnt}/f`, '2\n');
    const r = await sync(`${src.name}/fb`, `${dst.name}/fb`);
    expect(r.code, r.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/fb`, `${dst.name}/fb`);
  });

  it('keeps replicating when an old source snapshot that the target has is deleted', async () => {
    await zfs('create', `${src.name}/sd`);
    await zfs('snapshot', `${src.name}/sd@old`);
    expect((await sync(`${src.name}/sd`, `${dst.name}/sd`)).code).toBe(0);
    await zfs('destroy', `${src.name}/sd@old`);
    writeFileSync(`${await mountpointOf(`${src.name}/sd`)}/f`, 'x\n');
    const r = await sync(`${src.name}/sd`, `${dst.name}/sd`);
    expect(r.code, r.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/sd`, `${dst.name}/sd`);
    expect(await snapshotNames(`${dst.name}/sd`)).toContain('old'); // the replica keeps its history
  });

  it('two concurrent runs: one replicates, the other skips with WARNING; nothing is damaged', async () => {
    await zfs('create', `${src.name}/cc`);
    const mnt = await mountpointOf(`${src.name}/cc`);
    await writeRandom(`${mnt}/big`, 12);
    const slow = execa(BIN, ['--state-dir', stateDir, 'sync', '--bwlimit', '2M', `${src.name}/cc`, `${dst.name}/cc`], { reject: false, env: {} });
    await waitFor(() => readdirSync(`${stateDir}/locks`).length > 0, 10_000);
    const second = await sync(`${src.name}/cc`, `${dst.name}/cc`);
    expect(second.code, second.stdout).toBe(1);
    expect(second.line).toMatch(/^WARNING: .*already running \(pid \d+/);
    const first = await slow;
    expect(first.exitCode, first.stdout).toBe(0);
    await expectReplicaEqual(`${src.name}/cc`, `${dst.name}/cc`);
  });

  it('a run killed with SIGKILL mid-send is recovered by the next run (orphans killed, replica consistent)', async () => {
    await zfs('create', `${src.name}/kill`);
    const mnt = await mountpointOf(`${src.name}/kill`);
    writeFileSync(`${mnt}/small`, 'base\n');
    expect((await sync(`${src.name}/kill`, `${dst.name}/kill`)).code).toBe(0);
    await writeRandom(`${mnt}/big`, 12);
    const victim = execa(BIN, ['--state-dir', stateDir, 'sync', '--bwlimit', '1M', `${src.name}/kill`, `${dst.name}/kill`], { reject: false, env: {} });
    await waitFor(async () => (await execa('pgrep', ['-f', `zfs send .*${src.name}/kill`], { reject: false })).exitCode === 0, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    victim.kill('SIGKILL');
    await victim;
    // Monit kills only the main pid: the pipeline is still running as orphans.
    expect((await execa('pgrep', ['-f', `zfs send .*${src.name}/kill`], { reject: false })).exitCode).toBe(0);

    const next = await sync(`${src.name}/kill`, `${dst.name}/kill`);
    expect(next.code, next.stdout).toBe(0);
    expect((await execa('pgrep', ['-f', `zfs send .*${src.name}/kill`], { reject: false })).exitCode).toBe(1);
    await expectReplicaEqual(`${src.name}/kill`, `${dst.name}/kill`);
  });

  it('lists each side once per cycle and destroys the superseded snapshot once per side, whatever the number of datasets', async () => {
    const log = zfsCallLog();
    try {
      const listings = () => log.calls().filter((c) => c.argv[1] === 'get' && (c.argv.includes('-r') || c.argv.includes('-d'))).length;
      await zfs('create', `${src.name}/count1`);
      await zfs('create', `${src.name}/count6`);
      for (const c of ['a', 'b', 'c', 'd', 'e']) await zfs('create', `${src.name}/count6/${c}`);
      for (const [ds, n] of [
        ['count1', 1],
        ['count6', 6],
      ] as const) {
        await runCli(['--state-dir', stateDir, 'sync', '-r', `${src.name}/${ds}`, `${dst.name}/${ds}`], { env: log.env as Record<string, string> });
        log.clear();
        const r = await runCli(['--state-dir', stateDir, 'sync', '-r', `${src.name}/${ds}`, `${dst.name}/${ds}`], { env: log.env as Record<string, string> });
        expect(r.code, r.stdout).toBe(0);
        expect(listings(), `${n} datasets: ${JSON.stringify(log.calls().map((c) => c.argv.slice(1, 4)))}`).toBe(2);
        expect(log.count('snapshot')).toBe(1); // one atomic `zfs snapshot -r` for the whole tree
        // The superseded sync snapshot goes with one `zfs destroy -r` per side, however many datasets.
        expect(
          log.count('destroy'),
          JSON.stringify(
            log
              .calls()
              .filter((c) => c.argv[1] === 'destroy')
              .map((c) => c.argv),
          ),
        ).toBe(2);
        for (const root of [`${src.name}/${ds}`, `${dst.name}/${ds}`]) {
          const syncSnaps = (await zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', root)).split('\n').filter((l) => l.includes('@zfailover-sync_'));
          expect(syncSnaps, root).toHaveLength(n); // exactly one (the new common) per dataset
        }
        log.clear();
      }
    } finally {
      log.remove();
    }
  });

  it('cascades from a replica without snapshotting it (A -> B -> C); logs go to the log file, not stdout', async () => {
    await zfs('create', `${src.name}/casc`);
    writeFileSync(`${await mountpointOf(`${src.name}/casc`)}/f`, 'a\n');
    expect((await sync(`${src.name}/casc`, `${dst.name}/cascB`)).code).toBe(0);
    const before = await snapshotNames(`${dst.name}/cascB`);
    const logFile = `${stateDir}/casc.log`;
    const r = await runCli(['--state-dir', stateDir, '--log-file', logFile, 'sync', `${dst.name}/cascB`, `${dst.name}/cascC`]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(await snapshotNames(`${dst.name}/cascB`)).toEqual(before); // B (a replica) got no snapshot of its own
    expect((await snapshotNames(`${dst.name}/cascC`)).at(-1)).toBe(before.at(-1));
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain('target done');
    // B keeps receiving from A afterwards.
    writeFileSync(`${await mountpointOf(`${src.name}/casc`)}/f`, 'b\n');
    expect((await sync(`${src.name}/casc`, `${dst.name}/cascB`)).code).toBe(0);
    const verbose = await runCli(['--state-dir', stateDir, '--verbose', 'sync', `${dst.name}/cascB`, `${dst.name}/cascC`]);
    expect(verbose.code, verbose.stdout).toBe(0);
    expect(verbose.stderr).toMatch(/"msg":"source ready"/);
    await expectReplicaEqual(`${src.name}/casc`, `${dst.name}/cascC`);
  });

  it('--dry-run prints the plan and the exact commands and changes nothing', async () => {
    await zfs('create', `${src.name}/dry`);
    const before = await snapshotNames(`${src.name}/dry`);
    const r = await sync('--dry-run', `${src.name}/dry`, `${dst.name}/dry`);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/full: zfs send .*\| zfs receive .*dry/);
    expect(await snapshotNames(`${src.name}/dry`)).toEqual(before);
    expect((await execa('/usr/sbin/zfs', ['list', `${dst.name}/dry`], { reject: false })).exitCode).not.toBe(0);
  });

  it('a superseded sync snapshot somebody holds is kept and said in the long output; released, the next run destroys it', async () => {
    const source = `${src.name}/held data`;
    const target = `${dst.name}/held copy`;
    await zfs('create', source);
    const mnt = await mountpointOf(source);
    await writeRandom(`${mnt}/a.bin`, 1);
    expect((await sync(source, target)).code).toBe(0);
    const first = (await snapshotNames(source)).find((n) => n.startsWith('zfailover-sync_'))!;
    await zfs('hold', 'operator', `${source}@${first}`);
    await writeRandom(`${mnt}/b.bin`, 1);
    const kept = await sync(source, target);
    expect(kept.code, kept.stdout).toBe(0);
    expect(kept.stdout.split('\n')).toContain(`note: 1 superseded sync snapshot is kept because it is held: ${source}@${first}`);
    expect(await snapshotNames(source)).toContain(first);
    await zfsRetry('release', 'operator', `${source}@${first}`);
    await writeRandom(`${mnt}/c.bin`, 1);
    const freed = await sync(source, target);
    expect(freed.code, freed.stdout).toBe(0);
    expect(freed.stdout).not.toContain('note: ');
    expect(await snapshotNames(source)).not.toContain(first);
    await expectReplicaEqual(source, target);
  });

  it('a missing source is CRITICAL with one line; bad arguments and config are UNKNOWN with one line', async () => {
    const missing = await sync(`${src.name}/nope`, `${dst.name}/nope`);
    expect(missing.code).toBe(2);
    expect(missing.line).toMatch(/^CRITICAL: .*does not exist/);
    for (const args of [
      ['sync'],
      ['sync', 'bad//name', 'x/y'],
      ['sync', '--deadline', 'soon', 'a/b', 'c/d'],
      ['sync', '--concurrency', '0', 'a/b', 'c/d'],
      ['sync', '--concurrency', '65', 'a/b', 'c/d'],
      ['sync', '--job', 'x', 'a/b', 'c/d'],
      ['--bogus'],
    ]) {
      const r = await runCli(['--state-dir', stateDir, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(3);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(r.line).toMatch(/^UNKNOWN: /);
    }
    const cfg = `${stateDir}/bad.yml`;
    writeFileSync(cfg, 'jobs:\n  data:\n    source: tank/data\n    targets: [backup/data]\n    deadlin: 60s\n');
    const r = await runCli(['--config', cfg, '--state-dir', stateDir, 'sync', '--job', 'data']);
    expect(r.code).toBe(3);
    expect(r.line).toMatch(/^UNKNOWN: config error: .*bad\.yml:5: jobs\.data\.deadlin/);
  });
});

/** zfs-fuse answers "dataset is busy" for a while after a dataset was sent or received. */
const zfsRetry = async (...args: string[]): Promise<void> => {
  for (let i = 0; ; i++) {
    const r = await execa('/usr/sbin/zfs', args, { reject: false });
    if (r.exitCode === 0) return;
    if (!/busy/.test(r.stderr) || i >= 40) throw new Error(`zfs ${args.join(' ')}: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
};

const waitFor = async (cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
};

/** The ad-hoc job id of a dataset's job, from the state files. */
const syncJobId = async (stateDir: string, source: string): Promise<string> => {
  for (const f of readdirSync(`${stateDir}/jobs`)) {
    const s = JSON.parse(readFileSync(`${stateDir}/jobs/${f}`, 'utf8')) as { job: string; lastRun?: { summary: string } };
    if (s.lastRun?.summary.startsWith(`${source} `)) return s.job;
  }
  throw new Error(`no job for ${source}`);
};
