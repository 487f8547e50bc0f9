// Errors of the state directory, in the one hierarchy of src/errors.ts (the kind decides the exit code).
import { InternalError, PermanentError } from '../errors.js';

/** The state directory (or one of its subdirectories) cannot be created or written: fix the setup. */
export class StateDirError extends PermanentError {
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`state directory ${path}: ${detail}`, options);
  }
}

/**
 * A state file exists but cannot be used: not JSON, wrong shape, or written by a newer zfailover. Checks turn
 * it into UNKNOWN (kind internal); nothing is guessed from a damaged file.
 */
export class StateFileCorruptError extends InternalError {
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(`state file ${path} is unusable: ${detail}`, options);
  }
}

/** errno code to a few words for one-line messages. */
export const describeErrno = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a parent is not a directory',
    EEXIST: 'already exists',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
    EDQUOT: 'disk quota exceeded',
    EISDIR: 'is a directory',
  };
  return (err?.code && text[err.code]) ?? (err?.message ?? String(e)).replace(/\s+/g, ' ');
};
