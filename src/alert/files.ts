// File primitives of the alert state directory: private atomic writes and a short-lived lock file.
// Kept here (not in src/state) because the alert module must work, and never throw, before anything else runs.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';

/** mkdir -p with mode 0700: queued alerts name hosts, datasets and conflicts. */
export const ensurePrivateDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
};

/** Write `text` to `file` via a temporary file, fsync and rename: readers see the old or the new content. */
export const writeAtomic = (file: string, text: string): void => {
  // A random name created exclusively (O_EXCL never follows a link planted at a guessable name).
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
};

export const unlinkQuiet = (file: string): void => {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
};

export const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `file` with O_EXCL. A lock whose holder is gone, or older than `staleMs` (holders keep it for
 * milliseconds), is broken. Returns the release function, or null after `waitMs` without the lock.
 */
export const acquireLock = async (file: string, opts: { waitMs: number; staleMs: number; now?: () => number }): Promise<(() => void) | null> => {
  const now = opts.now ?? Date.now;
  const until = now() + opts.waitMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => unlinkQuiet(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (isStale(file, opts.staleMs, now())) {
      unlinkQuiet(file);
      continue;
    }
    if (now() >= until) return null;
    await sleep(15);
  }
};

const isStale = (file: string, staleMs: number, now: number): boolean => {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    // An empty file is a holder between open and write: only its age can tell.
    if (pid > 0 && !isAlive(pid)) return true;
    return now - statSync(file).mtimeMs > staleMs;
  } catch {
    return false; // gone meanwhile: the next open decides
  }
};
