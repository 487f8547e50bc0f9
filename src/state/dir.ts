// Layout of the state directory and its creation. Every file zfailover keeps between runs lives here.
//
//   jobs/<job>.json     job state read by the checks      locks/<job>.lock   per-job lock
//   cache/              capabilities per host             ssh/               ControlMaster sockets
//   alerts/             alert de-duplication and queue    promote/           promotion records
//   metrics/            counters behind the textfile      prune/             pile-up counts
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isValidId } from '../core/names.js';
import { InternalError } from '../errors.js';
import { describeErrno, StateDirError } from './errors.js';
import { STATE_SUBDIRS, type StateSubdir } from './subdirs.js';

export { STATE_SUBDIRS, type StateSubdir };

/**
 * Create the state directory and its subdirectories, new ones with mode 0700. An existing ssh/ is tightened
 * back to 0700 (its sockets open root shells on the other host); the others keep what the operator chose,
 * e.g. jobs/ opened to a nagios group. Idempotent and cheap (a few syscalls), so every run calls it.
 */
export const ensureStateDir = async (dir: string): Promise<void> => {
  try {
    await mkdirEach(dir);
  } catch (e) {
    const what = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists and is not a directory' : `cannot create: ${describeErrno(e)}`;
    throw new StateDirError(dir, what, { cause: e });
  }
  for (const sub of STATE_SUBDIRS) {
    const path = join(dir, sub);
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(dir, `cannot create ${sub}/: ${describeErrno(e)}`, { cause: e });
      const st = await lstat(path);
      if (!st.isDirectory()) throw new StateDirError(dir, `${sub} exists and is not a directory`);
      if (sub === 'ssh' && (st.mode & 0o077) !== 0) {
        try {
          await chmod(path, 0o700);
        } catch (err) {
          throw new StateDirError(dir, `cannot restrict ${sub}/ to mode 0700: ${describeErrno(err)}`, { cause: err });
        }
      }
    }
  }
  const { verifyStateDir } = await import('./trust.js');
  verifyStateDir(dir);
};

/**
 * mkdir -p, each missing component 0700, one mkdir(2) at a time: Node's recursive mkdir loops forever where the
 * kernel answers ENOENT for a parent that exists (`/proc/1/x`), instead of failing.
 */
const mkdirEach = async (dir: string): Promise<void> => {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      await lstat(p);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw e;
      missing.unshift(p);
    }
  }
  for (const p of missing) {
    try {
      await mkdir(p, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  // As mkdir -p: a file (or a link to one) where the directory should be is EEXIST.
  if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} exists`), { code: 'EEXIST' });
};

const checkId = (job: string): string => {
  // Job ids end up in file names: a bad one here is a bug upstream, not operator input.
  if (!isValidId(job)) throw new InternalError(`invalid job id for a state file: ${JSON.stringify(job)}`);
  return job;
};

export const jobStatePath = (stateDir: string, job: string): string => join(stateDir, 'jobs', `${checkId(job)}.json`);
export const lockPath = (stateDir: string, job: string): string => join(stateDir, 'locks', `${checkId(job)}.lock`);
export const subdir = (stateDir: string, sub: StateSubdir): string => join(stateDir, sub);
