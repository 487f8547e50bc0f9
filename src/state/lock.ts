// Per-job lock: at most one run of a job at a time, and recovery after a run that was SIGKILLed (Monit's
// timeout kills only the main pid, leaving its `zfs send`, `zfs recv` and `ssh` children running).
//
// The lock is <state>/locks/<job>.lock, created by link(2) from a complete temp file, so it is never seen
// half-written. It names its holder by pid + start time + boot id (a reused pid is not the holder) and the
// pids of the holder's pipeline. Acquisition never waits: a live holder means LockBusyError (WARNING).
import { createHash, randomBytes } from 'node:crypto';
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
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger((v as ProcessId).pid) &&
  ((v as ProcessId).procStart === null || Number.isSafeInteger((v as ProcessId).procStart));

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
  const text = `${JSON.stringify(holder)}\n`;
  let replaced: ReadLock | undefined;
  // A run that lost a takeover race to another recovering run finds the winner's lock (busy) on the next round.
  for (let round = 0; ; round++) {
    const r = await takeName(path, text, 0);
    if (r.kind === 'taken') {
      replaced = r.replaced;
      break;
    }
    if (r.kind === 'busy') throw new LockBusyError(job, r.holder.pid, opts.nowMs - r.holder.startedAt);
    if (round >= 8) throw new TransientError(`job ${job}: could not take the lock ${path} (contended), retrying next run`);
    await pause(25 * (round + 1));
  }
  // Orphans of the dead holder are killed by the one run that replaced its lock: nobody else knows about them.
  const recovered: RecoveredLock[] = replaced
    ? [{ holder: replaced.holder, killed: replaced.holder ? await killRecorded(replaced.holder.pids, opts.graceMs) : [] }]
    : [];
  await syncDir(`${stateDir}/locks`);
  return makeLock(path, job, holder, recovered);
};

type Taken = { readonly kind: 'taken'; readonly replaced?: ReadLock } | { readonly kind: 'busy'; readonly holder: LockHolder } | { readonly kind: 'contended' };

/**
 * Create `name` holding `text`, or take it over from a dead holder. Of several runs racing for it, exactly one
 * wins: a takeover first creates the claim `<name>.takeover-<key of the dead content>` with link(2) (only one run
 * can), checks that `name` still holds that content, then rename(2)s its own complete file over it. The name is
 * never absent meanwhile, so no fresh link(2) can slip in (the old rename-aside let a third run in: two holders).
 * A claim whose claimer died is itself taken over the same way (depth-bounded).
 */
const takeName = async (name: string, text: string, depth: number): Promise<Taken> => {
  if (depth > 3) return { kind: 'contended' };
  const tmp = tempPathFor(name);
  await writeComplete(tmp, text);
  try {
    try {
      await link(tmp, name);
      return { kind: 'taken' };
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw new StateDirError(name, `cannot create lock: ${describeErrno(e)}`, { cause: e });
    }
    const existing = await readLockFile(name);
    if (existing === null) return { kind: 'contended' }; // released meanwhile: the next round links it
    if (existing.holder && (await holderAlive(existing.holder))) return depth === 0 ? { kind: 'busy', holder: existing.holder } : { kind: 'contended' };
    const claim = `${name}.takeover-${claimKey(existing)}`;
    const got = await takeName(claim, text, depth + 1);
    if (got.kind !== 'taken') return { kind: 'contended' };
    try {
      // Holding the claim, nobody else can replace this content; a holder that is dead cannot release it.
      const now = await readLockFile(name);
      if (now === null || !sameContent(now, existing)) return { kind: 'contended' };
      await rename(tmp, name);
      return { kind: 'taken', replaced: existing };
    } finally {
      await unlink(claim).catch(() => undefined);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
};

/** Names one lock content: its holder's random token, or for an unreadable file a digest of what it holds. */
const claimKey = (l: ReadLock): string => l.holder?.token ?? createHash('sha256').update(`${l.dev}:${l.ino}:${l.text}`).digest('hex').slice(0, 24);

const sameContent = (a: ReadLock, b: ReadLock): boolean => a.ino === b.ino && a.dev === b.dev && a.text === b.text;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
