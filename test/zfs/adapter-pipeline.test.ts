// runPipeline with real processes: bytes flow through kernel pipes (not this heap), failures name the stage that
// failed by itself, deadlines and aborts stop everything; then real `zfs send | zfs recv` on zfs-fuse.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeadlineError, HostUnreachableError, LockBusyError } from '../../src/errors.js';
import { ZfsError } from '../../src/zfs/errors.js';
import { runPipeline } from '../../src/zfs/pipeline.js';
import { LocalRunner } from '../../src/zfs/runner-local.js';
import { recvArgv, sendArgv } from '../../src/zfs/argv.js';
import { detectCapabilities } from '../../src/zfs/capabilities.js';
import type { Capabilities, ProcessSpec } from '../../src/zfs/types.js';
import { createPool, snapshotGuids, treeChecksums, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const p = (...argv: string[]): ProcessSpec => ({ file: argv[0] as string, args: argv.slice(1), label: argv.join(' ') });
const MiB = 1024 * 1024;

describe('runPipeline (ordinary processes)', () => {
  test('300 MiB flow through three stages without entering this process; consecutive stages share one pipe', async () => {
    const size = 300 * MiB;
    let fds: string[][] = [];
    let ours = new Set<string>();
    let pairs = '';
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const r = await runPipeline([p('head', '-c', String(size), '/dev/zero'), p('cat'), p('wc', '-c')], {
      onSpawn: (pids) => {
        pairs = execFileSync('ss', ['-x', '-a', '-n'], { encoding: 'utf8' });
        fds = pids.map((pid) => [0, 1].map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`)));
        ours = new Set(
          readdirSync('/proc/self/fd').map((fd) => {
            try {
              return readlinkSync(`/proc/self/fd/${fd}`);
            } catch {
              return '';
            }
          }),
        );
      },
    });
    clearInterval(sampler);
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.stdout.trim()).toBe(String(size));
    // Node joins stdio with socketpairs: head's stdout and cat's stdin are the two ends of one pair (ss shows them
    // as peers), and this process holds neither end.
    const inode = (link: string | undefined): string => /^socket:\[(\d+)\]$/.exec(link ?? '')?.[1] ?? 'none';
    const peers = (a: string, b: string): boolean => new RegExp(`\\s${a}\\s+\\S+\\s+${b}\\b|\\s${b}\\s+\\S+\\s+${a}\\b`).test(pairs);
    for (const [w, rd] of [
      [fds[0]?.[1], fds[1]?.[0]],
      [fds[1]?.[1], fds[2]?.[0]],
    ] as const) {
      expect(inode(w)).not.toBe('none');
      expect(peers(inode(w), inode(rd))).toBe(true);
      expect(ours.has(`socket:[${inode(w)}]`) || ours.has(`socket:[${inode(rd)}]`)).toBe(false);
    }
    expect(peakRss - rssBefore).toBeLessThan(40 * MiB);
  });

  test('a receiver failure is the root cause, not the sender killed by the broken pipe', async () => {
    const r = await runPipeline([
      p('sh', '-c', 'head -c 50000000 /dev/zero; echo "warning: cannot send \'p/a@b\': Broken pipe" >&2; exit 1'),
      p(
        'sh',
        '-c',
        'head -c 1000 >/dev/null; echo "cannot receive incremental stream: destination p/r has been modified" >&2; echo "since most recent snapshot" >&2; exit 1',
      ),
    ]);
    expect(r.ok).toBe(false);
    expect(r.failedStage).toBe(1);
    expect(r.error).toBeInstanceOf(ZfsError);
    expect((r.error as ZfsError).reason).toBe('target-modified');
    expect(r.stages[0]?.failed).toBe(true);
  });

  test('a writer upstream of a failed or stopped receiver ends by itself on the broken pipe (its clean-up runs); one that does not write is stopped after a grace', async () => {
    // The writer cleans up only when it sees EPIPE: a signal would skip it (zfs-fuse's `zfs send` then leaks holds).
    const dir = mkdtempSync(`${tmpdir()}/zfo-epipe-`);
    try {
      // Like `zfs send`: on the broken pipe it cleans up, says so on stderr and exits 1 (not killed by SIGPIPE).
      const writer = `while :; do head -c 65536 /dev/zero || { echo cleaned > ${dir}/mark; echo "warning: cannot send 'p/a@b': Broken pipe" >&2; exit 1; }; done`;
      const r = await runPipeline(
        [p('sh', '-c', writer), p('sh', '-c', 'head -c 1000 >/dev/null; echo "cannot receive incremental stream: out of space" >&2; exit 1')],
        { killGraceMs: 5000 },
      );
      expect(r.failedStage).toBe(1);
      expect(r.stages[0]?.killedByUs).toBe(false);
      expect(readdirSync(dir)).toEqual(['mark']);
      // A deadline stops the receiver first: the writer blocked on the full pipe ends on EPIPE as well.
      rmSync(`${dir}/mark`);
      const late = await runPipeline([p('sh', '-c', writer), p('sleep', '30')], { deadlineMs: Date.now() + 300, killGraceMs: 5000 });
      expect(late.error).toBeInstanceOf(DeadlineError);
      expect([late.stages[0]?.killedByUs, late.stages[1]?.killedByUs]).toEqual([false, true]);
      expect(readdirSync(dir)).toEqual(['mark']);
      const t0 = Date.now();
      const idle = await runPipeline([p('sleep', '30'), p('sh', '-c', 'exit 1')], { killGraceMs: 5000 });
      expect(idle.stages[0]?.killedByUs).toBe(true);
      // The 2 s broken-pipe grace, then SIGTERM: far below the 30 s sleep even on a loaded machine (a hang guard).
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a lost ssh connection is the root cause even though its text says "reset", not the sender it cut off', async () => {
    const dir = mkdtempSync(`${tmpdir()}/zfo-fake-ssh-`);
    writeFileSync(`${dir}/ssh`, '#!/bin/sh\nhead -c 1000 >/dev/null\necho "client_loop: send disconnect: Connection reset by peer" >&2\nexit 255\n', {
      mode: 0o755,
    });
    try {
      const r = await runPipeline([
        p('sh', '-c', 'head -c 50000000 /dev/zero || { echo "internal error: Connection reset by peer" >&2; exit 1; }'),
        { file: `${dir}/ssh`, args: ['-o', 'BatchMode=yes', 'root@b', '--', 'zfs receive -v p/r'], label: 'root@b:22: zfs receive -v p/r' },
      ]);
      expect(r.stages[0]?.failed).toBe(true);
      expect(r.failedStage).toBe(1);
      expect(r.error).toBeInstanceOf(HostUnreachableError);
      expect((r.error as HostUnreachableError).host).toBe('root@b:22');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a sender failure is the root cause, not the receiver that saw a short stream', async () => {
    const r = await runPipeline([
      p('sh', '-c', 'echo "cannot open \'p/a@x\': dataset does not exist" >&2; exit 1'),
      p('sh', '-c', 'cat >/dev/null; echo "cannot receive: failed to read from stream" >&2; exit 1'),
    ]);
    expect(r.failedStage).toBe(0);
    expect((r.error as ZfsError).reason).toBe('snapshot-not-found');
  });

  test('the deadline stops every stage (SIGKILL after the grace for one that ignores SIGTERM): DeadlineError', async () => {
    const t0 = Date.now();
    const r = await runPipeline([p('sh', '-c', 'trap "" TERM; sleep 30'), p('sleep', '30')], { deadlineMs: Date.now() + 300, killGraceMs: 300 });
    expect(Date.now() - t0).toBeLessThan(15_000); // well below the 30 s sleeps: the deadline, not their end
    expect(r.error).toBeInstanceOf(DeadlineError);
    expect(r.error?.kind).toBe('transient');
    expect(r.stages.every((s) => s.killedByUs)).toBe(true);
    expect(r.stages[0]?.signal).toBe('SIGKILL');
  });

  test('an abort whose reason is one of our errors reports that error', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new LockBusyError('j', 1, 0)), 100);
    const r = await runPipeline([p('sleep', '30'), p('cat')], { signal: ac.signal, killGraceMs: 200 });
    expect(r.error).toBeInstanceOf(LockBusyError);
  });

  test('a stage that cannot be spawned fails the pipeline as unsupported, and the others are stopped', async () => {
    const r = await runPipeline([p('sleep', '30'), p('/nonexistent/zfo-binary'), p('cat')], { killGraceMs: 200 });
    expect(r.failedStage).toBe(1);
    expect((r.error as ZfsError).reason).toBe('unsupported');
    expect(r.stages[0]?.killedByUs).toBe(true);
  });
});

const reason = zfsFuseUnavailableReason();
describe.skipIf(reason)(`zfs-fuse: zfs send | zfs recv through runPipeline ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let caps: Capabilities;
  const runner = new LocalRunner();
  beforeAll(async () => {
    pool = await createPool('zfoadp');
    caps = await detectCapabilities(runner);
    await zfs('create', `${pool.name}/src`);
    await zfs('create', `${pool.name}/dst`);
  });
  afterAll(async () => {
    await pool?.destroy();
  });

  test('full then incremental: the replica has the same GUIDs and files; receive -v bytes are reported', async () => {
    const src = `${pool.name}/src`;
    const mnt = `/tmp/zfo-test/mnt/${pool.name}`;
    await runPipeline([p('dd', 'if=/dev/urandom', `of=${mnt}/src/a.bin`, 'bs=1M', 'count=3', 'status=none')]);
    await zfs('snapshot', `${src}@s1`);
    await runPipeline([p('dd', 'if=/dev/urandom', `of=${mnt}/src/b.bin`, 'bs=1M', 'count=2', 'status=none')]);
    await zfs('snapshot', `${src}@s2`);
    const guids = await snapshotGuids(src);
    const v = (name: string) => ({ kind: 'snapshot' as const, dataset: src, name, guid: guids.get(name) as string, createtxg: 1, creation: 1 });
    const send = { raw: 'auto' as const, compressed: true, largeBlocks: true, embedded: true, encrypted: false };
    const target = `${pool.name}/dst/copy`;
    const full = await runPipeline(
      runner.processes([sendArgv(caps, { kind: 'full', to: v('s1') }, send), recvArgv(caps, target, { resume: true, force: false, full: true })]),
    );
    expect(full.error).toBeNull();
    expect(full.bytes).toBeGreaterThan(2.5 * MiB);
    const inc = await runPipeline(
      runner.processes([
        sendArgv(caps, { kind: 'incremental', from: v('s1'), to: v('s2'), intermediates: true }, send),
        recvArgv(caps, target, { resume: true, force: false, full: false }),
      ]),
    );
    expect(inc.error).toBeNull();
    expect(await snapshotGuids(target)).toEqual(guids);
    expect(await treeChecksums(`${mnt}/dst/copy`)).toEqual(await treeChecksums(`${mnt}/src`));

    // The same incremental again: the receiver refuses, and that (not the sender's broken pipe) is reported.
    const again = await runPipeline(
      runner.processes([
        sendArgv(caps, { kind: 'incremental', from: v('s1'), to: v('s2'), intermediates: true }, send),
        recvArgv(caps, target, { resume: true, force: false, full: false }),
      ]),
    );
    expect(again.ok).toBe(false);
    expect(again.failedStage).toBe(1);
    expect(again.error).toBeInstanceOf(ZfsError);
    expect(['target-has-newer-snapshots', 'incremental-mismatch', 'already-exists', 'target-modified']).toContain((again.error as ZfsError).reason);
  });
});
