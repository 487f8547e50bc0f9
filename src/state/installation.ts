// The installation identity: one short id per state directory, in every sync snapshot, cursor bookmark and
// hold tag zfailover makes (core/names.ts), so two installations replicating one source under the same job
// name (two standbys pulling from one primary) never destroy each other's common snapshot.
//
// Generated once, on the first sync, as `<host>-<6 hex>` (the host for the operator reading snapshot names, the
// random part because two installations may share a host name or a host), into `<state>/installation`. It
// survives upgrades and package reinstalls (the state dir stays); a rebuilt host gets a new one unless the
// config pins it (`identity:`), and the names of the old one are then another installation's (kept, never
// destroyed). Readable by all: it is a name, not a secret; the checks read it without root.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readSync, unlinkSync, writeSync, fsyncSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isValidId } from '../core/names.js';
import { tempPathFor } from './atomic.js';
import { describeErrno, StateDirError, StateFileCorruptError } from './errors.js';

export const INSTALLATION_FILE = 'installation';

export const installationPath = (stateDir: string): string => join(stateDir, INSTALLATION_FILE);

/** A new identity: the first label of the host name (letters, digits, '-', at most 20) and 6 random hex digits. */
export const newInstallationId = (host = hostname(), random = randomBytes(3).toString('hex')): string => {
  const label = (host.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9-]/g, '')
    .replace(/^-+/, '')
    .slice(0, 20)
    .replace(/-+$/, '');
  return `${label || 'zfailover'}-${random}`;
};

/** The identity recorded in the state dir, or null when there is none yet. A damaged file is an error, never replaced. */
export const readInstallationId = (stateDir: string): string | null => {
  const path = installationPath(stateDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileCorruptError(path, `cannot read: ${describeErrno(e)}`, { cause: e });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new StateFileCorruptError(path, 'not a regular file');
    // Bounded: an id is at most 48 characters; anything longer is not one.
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    if (!isValidId(text)) {
      throw new StateFileCorruptError(path, 'not an installation identity', {
        hint: `restore it from the names of this host's sync snapshots (zfailover-sync_<job>_<identity>_<stamp>), or set identity: in the config`,
      });
    }
    return text;
  } finally {
    closeSync(fd);
  }
};

/**
 * The identity, created when missing. The file appears whole or not at all (written under a random name, then
 * hard-linked into place, which never overwrites): two first syncs at once agree on the one that got there first.
 */
export const ensureInstallationId = (stateDir: string, create: () => string = newInstallationId): string => {
  const existing = readInstallationId(stateDir);
  if (existing !== null) return existing;
  const id = create();
  if (!isValidId(id)) throw new RangeError(`invalid installation identity: ${id}`);
  const path = installationPath(stateDir);
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new StateDirError(stateDir, `cannot write ${INSTALLATION_FILE}: ${describeErrno(e)}`, { cause: e });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  const now = readInstallationId(stateDir);
  if (now === null) throw new StateDirError(stateDir, `${INSTALLATION_FILE} vanished after it was written`);
  return now;
};
