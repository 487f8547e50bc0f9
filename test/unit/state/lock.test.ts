// The per-job lock with real processes: busy while the holder lives, recovered when it was SIGKILLed, its
// orphaned pipeline killed, a reused pid not mistaken for the holder.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { LockBusyError } from '../../../src/errors.js';
import { ensureStateDir, lockPath } from '../../../src/state/dir.js';
import { acquireLock, inspectLock, type LockHolder } from '../../../src/state/lock.js';
import { procStartOf } from '../../../src/state/proc.js';
import { alive, exited, firstLine, spawnFixture, tempDir } from './helpers.js';

const tmp = tempDir('zfo-lock-');
const stateDir = tmp.dir;
const started: number[] = [];
beforeAll(() => ensureStateDir(stateDir));
afterEach(() => {
  // Leave no process behind, whatever a failed assertion skipped.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(tmp.cleanup);

interface HolderReport {
  locked: boolean;
  pid?: number;
  children?: number[];
  error?: string;
  message?: string;
  recovered?: { holder: LockHolder | null; killed: number[] }[];
}

const holdLock = async (job: string, mode?: string) => {
  const child = spawnFixture('lock-holder.ts', [stateDir, job, ...(mode ? [mode] : [])]);
  if (child.pid) started.push(child.pid);
  const report = await firstLine<HolderReport>(child);
  for (const pid of report.children ?? []) started.push(pid);
  return { child, report };
};

const waitUntil = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('acquireLock', () => {
  test('lock file content: pid, start time, boot id, host, start, no pids; released only once', async () => {
    const lock = await acquireLock(stateDir, 'content', { nowMs: 1_764_000_000_000 });
    const onDisk = JSON.parse(readFileSync(lockPath(stateDir, 'content'), 'utf8')) as LockHolder;
    expect(onDisk).toMatchObject({ version: 1, job: 'content', pid: process.pid, startedAt: 1_764_000_000_000, host: hostname(), pids: [] });
    expect(onDisk.procStart).toBe(await procStartOf(process.pid));
    expect(onDisk.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lock.recovered).toEqual([]);
    expect(await lock.release()).toBe(true);
    expect(await lock.release()).toBe(false);
    expect(existsSync(lockPath(stateDir, 'content'))).toBe(false);
    expect(readdirSync(`${stateDir}/locks`)).toEqual([]);
  });

  test('two concurrent acquisitions in one process: exactly one wins, the other is LockBusyError', async () => {
    const results = await Promise.allSettled([acquireLock(stateDir, 'twice', { nowMs: 1000 }), acquireLock(stateDir, 'twice', { nowMs: 1000 })]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(LockBusyError);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
  });

  test('a live holder in another process: LockBusyError (WARNING) naming it; free again after its release', async () => {
    const { child, report } = await holdLock('busy');
    expect(report.locked).toBe(true);
    const now = Date.now() + 42_000;
    const err = await acquireLock(stateDir, 'busy', { nowMs: now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).kind).toBe('transient');
    expect((err as LockBusyError).holderPid).toBe(report.pid);
    expect((err as Error).message).toMatch(new RegExp(`^job busy is already running \\(pid ${report.pid}, for 4[2-4]s\\)$`));
    expect(await inspectLock(stateDir, 'busy')).toMatchObject({ alive: true, holder: { pid: report.pid } });
    child.stdin?.write('release\n');
    expect(await exited(child)).toBe(0);
    const lock = await acquireLock(stateDir, 'busy', { nowMs: Date.now() });
    expect(lock.recovered).toEqual([]);
    await lock.release();
  });

  test('many processes at once: exactly one holds the lock', async () => {
    const children = await Promise.all(Array.from({ length: 6 }, () => holdLock('crowd')));
    const holders = children.filter((c) => c.report.locked);
    expect(holders).toHaveLength(1);
    for (const c of children.filter((x) => !x.report.locked)) expect(c.report.error).toBe('LockBusyError');
    for (const c of holders) {
      c.child.stdin?.write('release\n');
      await exited(c.child);
    }
  });

  test('holder SIGKILLed: the lock is recovered and its recorded orphan (a detached sleep) is killed', async () => {
    const { child, report } = await holdLock('orphan', 'with-child');
    const [sleeper] = report.children as [number];
    expect(alive(sleeper)).toBe(true);
    const recorded = JSON.parse(readFileSync(lockPath(stateDir, 'orphan'), 'utf8')) as LockHolder;
    expect(recorded.pids).toEqual([{ pid: sleeper, procStart: await procStartOf(sleeper) }]);

    child.kill('SIGKILL');
    await exited(child);
    expect(alive(sleeper)).toBe(true); // killing the main pid alone leaves the pipeline running (Monit's way)

    const lock = await acquireLock(stateDir, 'orphan', { nowMs: Date.now(), graceMs: 500 });
    expect(lock.recovered).toHaveLength(1);
    expect(lock.recovered[0]?.holder?.pid).toBe(report.pid);
    expect(lock.recovered[0]?.killed).toEqual([sleeper]);
    await waitUntil(() => !alive(sleeper));
    expect(lock.holder.pid).toBe(process.pid);
    expect(readdirSync(`${stateDir}/locks`)).toEqual(['orphan.lock']);
    await lock.release();
  });

  test('recovery kills an orphan only if it is still the same process (start time checked)', async () => {
    const unrelated = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    started.push(unrelated.pid as number);
    const start = (await procStartOf(unrelated.pid as number)) as number;
    const dead = spawn('true');
    await exited(dead);
    const stale: LockHolder = {
      version: 1,
      job: 'reuse',
      pid: dead.pid as number,
      procStart: 1,
      bootId: null,
      startedAt: 1,
      host: hostname(),
      token: 'x',
      // The recorded child "had" another start time: the pid now belongs to an unrelated process.
      pids: [{ pid: unrelated.pid as number, procStart: start + 1 }],
    };
    writeFileSync(lockPath(stateDir, 'reuse'), JSON.stringify(stale));
    const lock = await acquireLock(stateDir, 'reuse', { nowMs: Date.now(), graceMs: 200 });
    expect(lock.recovered).toEqual([{ holder: stale, killed: [] }]);
    expect(alive(unrelated.pid as number)).toBe(true);
    await lock.release();
  });

  test('a live process with the holder pid but another start time (pid reused) is not the holder', async () => {
    const stale: LockHolder = {
      version: 1,
      job: 'pidreuse',
      pid: process.pid,
      procStart: ((await procStartOf(process.pid)) as number) - 1,
      bootId: null,
      startedAt: 1,
      host: hostname(),
      token: 'y',
      pids: [],
    };
    writeFileSync(lockPath(stateDir, 'pidreuse'), JSON.stringify(stale));
    expect(await inspectLock(stateDir, 'pidreuse')).toMatchObject({ alive: false });
    const lock = await acquireLock(stateDir, 'pidreuse', { nowMs: Date.now() });
    expect(lock.recovered.map((r) => r.holder?.token)).toEqual(['y']);
    await lock.release();
  });

  test('a lock from before a reboot (other boot id) is stale even if its pid is running', async () => {
    const stale: LockHolder = {
      version: 1,
      job: 'reboot',
      pid: process.pid,
      procStart: await procStartOf(process.pid),
      bootId: '00000000-0000-0000-0000-000000000000',
      startedAt: 1,
      host: hostname(),
      token: 'z',
      pids: [],
    };
    writeFileSync(lockPath(stateDir, 'reboot'), JSON.stringify(stale));
    const lock = await acquireLock(stateDir, 'reboot', { nowMs: Date.now() });
    expect(lock.recovered).toHaveLength(1);
    await lock.release();
  });

  test('an unreadable lock file (not ours, truncated by hand) is recovered, not obeyed forever', async () => {
    writeFileSync(lockPath(stateDir, 'garbage'), '{"pid": 1');
    const lock = await acquireLock(stateDir, 'garbage', { nowMs: Date.now() });
    expect(lock.recovered).toEqual([{ holder: null, killed: [] }]);
    await lock.release();
  });

  test('several runs recovering the same stale lock at once: exactly one holds it, orphans killed, nothing left over', async () => {
    const { child, report } = await holdLock('contend', 'with-child');
    child.kill('SIGKILL');
    await exited(child);
    const racers = await Promise.all(Array.from({ length: 5 }, () => holdLock('contend')));
    const winners = racers.filter((r) => r.report.locked);
    expect(winners).toHaveLength(1);
    for (const r of racers.filter((x) => !x.report.locked)) expect(r.report.error).toBe('LockBusyError');
    await waitUntil(() => !alive((report.children as number[])[0] as number));
    // The lock names the winner; no claimed stale copies or temp files remain.
    const onDisk = JSON.parse(readFileSync(lockPath(stateDir, 'contend'), 'utf8')) as LockHolder;
    expect(onDisk.pid).toBe(winners[0]?.report.pid);
    expect(readdirSync(`${stateDir}/locks`).filter((f) => f.startsWith('contend'))).toEqual(['contend.lock']);
    for (const r of racers) {
      // A loser has exited already: its stdin is closed, and the write fails with EPIPE.
      r.child.stdin?.on('error', () => undefined);
      if (r.report.locked) r.child.stdin?.write('release\n');
      await exited(r.child);
    }
  });

  test('recordPids rewrites the file atomically; a released lock refuses it', async () => {
    const lock = await acquireLock(stateDir, 'record', { nowMs: Date.now() });
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(sleeper.pid as number);
    await lock.recordPids([sleeper.pid as number, 999_999_999]);
    const onDisk = JSON.parse(readFileSync(lockPath(stateDir, 'record'), 'utf8')) as LockHolder;
    expect(onDisk.pids).toEqual([{ pid: sleeper.pid, procStart: await procStartOf(sleeper.pid as number) }]);
    expect(onDisk.token).toBe(lock.holder.token);
    await lock.release();
    await expect(lock.recordPids([])).rejects.toThrow(/already released/);
    sleeper.kill('SIGKILL');
  });

  test('recordPids calls not awaited by the caller are applied in order, and none outlives release', async () => {
    const lock = await acquireLock(stateDir, 'burst', { nowMs: Date.now() });
    const a = spawn('sleep', ['30'], { stdio: 'ignore' });
    const b = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(a.pid as number, b.pid as number);
    const pending = [lock.recordPids([a.pid as number]), lock.recordPids([a.pid as number, b.pid as number])];
    const late = lock.recordPids([b.pid as number]);
    const released = lock.release();
    await Promise.all(pending);
    await expect(late).resolves.toBeUndefined();
    expect(await released).toBe(true);
    expect(existsSync(lockPath(stateDir, 'burst'))).toBe(false);
    await expect(lock.recordPids([a.pid as number])).rejects.toThrow(/already released/);
    expect(existsSync(lockPath(stateDir, 'burst'))).toBe(false);
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  });

  test('release leaves a lock alone that is no longer ours', async () => {
    const lock = await acquireLock(stateDir, 'stolen', { nowMs: Date.now() });
    const other = { ...lock.holder, token: 'someone-else' };
    writeFileSync(lockPath(stateDir, 'stolen'), JSON.stringify(other));
    expect(await lock.release()).toBe(false);
    expect(existsSync(lockPath(stateDir, 'stolen'))).toBe(true);
  });
});
