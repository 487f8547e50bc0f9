// Crash-safe JSON files: a reader sees the old content or the new, never a torn write, even after a power cut.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeErrno, StateDirError, StateFileCorruptError } from './errors.js';

/** Temp file name next to `path`; unique per process and call, so concurrent writers never share one. */
export const tempPathFor = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/**
 * Write `data` to `path` atomically: temp file in the same directory, fsync, rename over `path`, fsync the
 * directory (so the rename itself survives a crash). Concurrent writers: the last rename wins, whole.
 */
export const writeFileAtomic = async (path: string, data: string | Uint8Array, mode = 0o600): Promise<void> => {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new StateDirError(dirname(path), `cannot write ${basename(path)}: ${describeErrno(e)}`, { cause: e });
  }
  await syncDir(dirname(path));
};

export const writeJsonAtomic = async (path: string, value: unknown, mode = 0o600): Promise<void> =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);

/** fsync a directory so a rename or link in it is durable; some file systems refuse, which is harmless. */
export const syncDir = async (dir: string): Promise<void> => {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // EINVAL/EISDIR on file systems that cannot sync directories: the rename is still atomic.
  } finally {
    await fh?.close();
  }
};

/**
 * Read and validate a JSON file. Missing -> null. Unreadable, not JSON, or rejected by `validate` ->
 * StateFileCorruptError (the checks report UNKNOWN rather than trusting a damaged file).
 */
export const readJson = async <T>(path: string, validate: (value: unknown) => T | Promise<T>): Promise<T | null> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileCorruptError(path, `cannot read: ${describeErrno(e)}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateFileCorruptError(path, text.trim() === '' ? 'empty file' : 'not valid JSON', { cause: e, hint: removable(path) });
  }
  try {
    // Awaited here so an asynchronous validator's refusal is reworded like a synchronous one's.
    return await validate(value);
  } catch (e) {
    if (e instanceof StateFileCorruptError) throw e;
    throw new StateFileCorruptError(path, (e as Error).message.replace(/\s+/g, ' '), { cause: e, hint: removable(path) });
  }
};

const removable = (path: string): string => `inspect it; removing it loses only history: rm ${path}`;
