// Per-job lock: at most one run of a job at a time, and recovery after a run that was SIGKILLed (Monit's
// timeout kills only the main pid, leaving its `zfs send`, `zfs recv` and `ssh` children running).
//
// The lock is <state>/locks/<job>.lock, created by link(2) from a complete temp file, so it is never seen
// half-written. It names its holder by pid + start time + boot id (a reused pid is not the holder) and the
// pids of the holder's pipeline. Acquisition never waits: a live holder means LockBusyError (WARNING).
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { LockBusyError, InternalError, TransientError } from '../errors.js';
import { syncDir, tempPathFor, writeFileAtomic } from './atomic.js';
import { lockPath } from './dir.js';
import { describeErrno, StateDirError } from './errors.js';
import { bootId, isRunning, killRecorded, procStartOf, type ProcessId } from './proc.js';

export interface LockHolder {
  readonly version: 1;
  readonly job: string;
  readonly pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22). */
  readonly procStart: number | null;
  readonly bootId: string | null;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly host: string;
  /** Processes of the running pipeline, killed if the holder dies and leaves them behind. */
  readonly pids: readonly ProcessId[];
  /** Random, unique per acquisition: "is this still my lock?" */
  readonly token: string;
}

export interface RecoveredLock {
  /** The dead holder, or null when the file was unreadable. */
  readonly holder: LockHolder | null;
  /** Orphaned processes of that holder that were terminated. */
  readonly killed: readonly number[];
}

export interface Lock {
  readonly path: string;
  readonly job: string;
  readonly holder: LockHolder;
  /** Stale locks taken over while acquiring (for the log). */
  readonly recovered: readonly RecoveredLock[];
  /** Record the pipeline's processes (replaces the list); the lock file is rewritten atomically. */
  recordPids(pids: readonly number[]): Promise<void>;
  /** Remove the lock if it is still ours; true when removed. Safe to call twice. */
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  readonly nowMs: number;
  /** How long orphans get between SIGTERM and SIGKILL. */
  readonly graceMs?: number;
}

interface ReadLock {
  readonly holder: LockHolder | null;
  readonly text: string;
  readonly ino: number;
  readonly dev: number;
}

/** Read the lock file and its identity from one descriptor; null when there is no lock file. */
const readLockFile = async (path: string): Promise<ReadLock | null> => {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateDirError(path, `cannot read lock: ${describeErrno(e)}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    const text = await fh.readFile('utf8');
    return { holder: parseHolder(text), text, ino: st.ino, dev: st.dev };
  } finally {
    await fh.close();
  }
};

const isProcessId = (v: unknown): v is ProcessId =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as ProcessId).pid) && ((v as ProcessId).procStart === null || Number.isSafeInteger((v as ProcessId).procStart));

/** The holder, or null for anything that is not a complete lock of ours. */
export const parseHolder = (text: string): LockHolder | null => {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (v.version !== 1 || typeof v.job !== 'string' || !Number.isSafeInteger(v.pid) || typeof v.startedAt !== 'number') return null;
    if (typeof v.token !== 'string' || !Array.isArray(v.pids) || !v.pids.every(isProcessId)) return null;
    return {
      version: 1,
      job: v.job,
      pid: v.pid as number,
      procStart: Number.isSafeInteger(v.procStart) ? (v.procStart as number) : null,
      bootId: typeof v.bootId === 'string' ? v.bootId : null,
      startedAt: v.startedAt,
      host: typeof v.host === 'string' ? v.host : '',
      pids: v.pids,
      token: v.token,
    };
  } catch {
    return null;
  }
};

/** The holder is this very process run, same boot: alive. A different boot: dead, whatever the pid shows. */
export const holderAlive = async (h: LockHolder): Promise<boolean> => {
  const boot = await bootId();
  if (h.bootId !== null && boot !== null && h.bootId !== boot) return false;
  return isRunning(h);
};

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export const acquireLock = async (stateDir: string, job: string, opts: AcquireOptions): Promise<Lock> => {
  const path = lockPath(stateDir, job);
  const holder: LockHolder = {
    version: 1,
    job,
    pid: process.pid,
    procStart: await procStartOf(process.pid),
    bootId: await bootId(),
    startedAt: opts.nowMs,
    host: hostname(),
    pids: [],
    token: randomBytes(12).toString('hex'),
  };
  const tmp = tempPathFor(path);
  const stale: (LockHolder | null)[] = [];
  let recovered: RecoveredLock[] = [];
  let acquired = false;
  try {
    await writeComplete(tmp, `${JSON.stringify(holder)}\n`);
    // A few rounds cover losing a race to another recovering run; each round makes progress or ends.
    for (let round = 0; round < 8 && !acquired; round++) {
      try {
        await link(tmp, path);
        acquired = true;
        break;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw new StateDirError(path, `cannot create lock: ${describeErrno(e)}`, { cause: e });
      }
      const existing = await readLockFile(path);
      if (existing === null) continue;
      if (existing.holder && (await holderAlive(existing.holder))) {
        throw new LockBusyError(job, existing.holder.pid, opts.nowMs - existing.holder.startedAt);
      }
      if (await claimStale(path, existing)) stale.push(existing.holder);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
    // Orphans of a dead holder are killed by whoever removed its lock, even if another run then won the
    // race for the new one (or this one is busy): nobody else knows about them any more.
    recovered = await Promise.all(stale.map(async (h) => ({ holder: h, killed: h ? await killRecorded(h.pids, opts.graceMs) : [] })));
  }
  if (!acquired) throw new TransientError(`job ${job}: could not take the lock ${path} (contended), retrying next run`);
  await syncDir(`${stateDir}/locks`);
  return makeLock(path, job, holder, recovered);
};

/** The lock's content, complete and on disk before link(2) makes it visible under the lock name. */
const writeComplete = async (tmp: string, text: string): Promise<void> => {
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new StateDirError(dirname(tmp), `cannot write lock: ${describeErrno(e)}`, { cause: e });
  }
};

/**
 * Move a stale lock out of the way so exactly one recovering run removes it: rename it to a private name,
 * then check that what was moved is the file judged stale (same inode, same content). If another run had
 * replaced it meanwhile with a fresh lock, put that one back.
 */
const claimStale = async (path: string, judged: ReadLock): Promise<boolean> => {
  const claimed = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, claimed);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return false;
    throw new StateDirError(path, `cannot move stale lock: ${describeErrno(e)}`, { cause: e });
  }
  const moved = await readLockFile(claimed);
  const same = moved !== null && moved.ino === judged.ino && moved.dev === judged.dev && moved.text === judged.text;
  if (!same) {
    // Not ours to remove: restore it. EEXIST means a third run holds the path already; the displaced
    // holder will find its lock gone at release, which it tolerates.
    await link(claimed, path).catch(() => undefined);
  }
  await unlink(claimed).catch(() => undefined);
  return same;
};

const makeLock = (path: string, job: string, initial: LockHolder, recovered: readonly RecoveredLock[]): Lock => {
  let holder = initial;
  let released = false;
  // Updates run one at a time and release waits for them: a late rename must never re-create the lock
  // file after release removed it, nor an older pid list overwrite a newer one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const stillOurs = async (): Promise<boolean> => (await readLockFile(path))?.holder?.token === holder.token;
  return {
    path,
    job,
    get holder() {
      return holder;
    },
    recovered,
    recordPids: (pids) =>
      serial(async () => {
        if (released) throw new InternalError(`lock ${path} already released`);
        if (!(await stillOurs())) throw new InternalError(`lock ${path} is no longer held by this run`);
        const ids = await Promise.all(pids.map(async (pid) => ({ pid, procStart: await procStartOf(pid) })));
        // A child that already exited has no start time: nothing to kill later, leave it out.
        const next: LockHolder = { ...holder, pids: ids.filter((id) => id.procStart !== null) };
        await writeFileAtomic(path, `${JSON.stringify(next)}\n`, 0o644);
        holder = next;
      }),
    release: () =>
      serial(async () => {
        if (released) return false;
        released = true;
        if (!(await stillOurs())) return false;
        await unlink(path).catch((e) => {
          if (errCode(e) !== 'ENOENT') throw new StateDirError(path, `cannot remove lock: ${describeErrno(e)}`, { cause: e });
        });
        return true;
      }),
  };
};

/** Who holds a job's lock, for `status` and the checks ("running for 40s"); null when nobody. */
export const inspectLock = async (stateDir: string, job: string): Promise<{ holder: LockHolder | null; alive: boolean } | null> => {
  const found = await readLockFile(lockPath(stateDir, job));
  if (!found) return null;
  return { holder: found.holder, alive: found.holder !== null && (await holderAlive(found.holder)) };
};
