// sshd-StrictModes-style trust checks for what zfailover reads and writes as root: the config file, the state
// directory, its subdirectories and the path leading to them. Whoever can write there can make root kill a
// process (a planted lock), run ssh through their socket (a planted ControlMaster), overwrite files (planted
// symlinks) or run commands (a config's ssh options). Trusted: owned by the effective uid or by root, and not
// writable by group or others; a directory above may be group/other-writable only with the sticky bit (/tmp),
// where nobody can rename or replace another user's entry.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';
import { quoteArg } from '../core/operator-command.js';
import { STATE_SUBDIRS } from './subdirs.js';

/** A config file or state directory others could have written: one UNKNOWN line, nothing read from it. */
export class UntrustedPathError extends ConfigError {
  constructor(
    readonly path: string,
    detail: string,
    hint: string | undefined,
  ) {
    super(`refusing ${path}: ${detail}`, { hint });
  }
}

/** The command that makes `path` root's alone (shell-quoted: a path may hold blanks). */
export const secureFix = (path: string): string => `chown root:root ${quoteArg(path)} && chmod go-w ${quoteArg(path)}`;

const euidNow = (): number => process.geteuid?.() ?? 0;
const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why `st` (at `path`) is not trusted, or null. `sticky`: a group/other-writable sticky directory is fine. */
const problemOf = (st: Stats, euid: number, opts: { sticky: boolean }): string | null => {
  if (st.uid !== euid && st.uid !== 0) return `owned by uid ${st.uid}, not by uid ${euid} or root`;
  if ((st.mode & 0o022) !== 0 && !(opts.sticky && st.isDirectory() && (st.mode & 0o1000) !== 0)) return `writable by group or others (mode ${octal(st.mode)})`;
  return null;
};

/** The config file, from the stat of the open descriptor: owned by euid or root, not group/other-writable. */
export const configFileProblem = (st: { uid: number; mode: number }, euid = euidNow()): string | null => {
  if (st.uid !== euid && st.uid !== 0) return `owned by uid ${st.uid}, not by uid ${euid} or root`;
  if ((st.mode & 0o022) !== 0) return `writable by group or others (mode ${octal(st.mode)})`;
  return null;
};

/** Every existing directory from / down to `real` (a resolved path): ancestors may be sticky-writable. */
const ancestorsProblem = (real: string, euid: number): { path: string; problem: string } | null => {
  const parts = real.split(sep).filter(Boolean);
  let p: string = sep;
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) p = join(p, parts[i - 1] as string);
    if (p === real) break;
    const problem = problemOf(statSync(p), euid, { sticky: true });
    if (problem) return { path: p, problem };
  }
  return null;
};

/**
 * Why the state directory `dir` cannot be trusted, or null. A directory that does not exist yet is fine when
 * the path to where it will be created is (it is then created 0700 by its owner).
 */
export const stateDirProblem = (dir: string, euid = euidNow()): { path: string; problem: string } | null => {
  let existing = resolve(dir);
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) return null;
      existing = up;
    }
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    return null; // a dangling symlink: mkdir fails later with its own message
  }
  // Kernel pseudo file systems hold no state, and some make mkdir answer ENOENT forever.
  if (/^\/(proc|sys|dev)(\/|$)/.test(real)) return { path: existing, problem: 'on a kernel pseudo file system, not a place for state' };
  const above = ancestorsProblem(real, euid);
  if (above) return above;
  if (existing !== resolve(dir)) {
    // The state dir is created later (0700) below `real`, which must be as safe as any directory above.
    const parent = problemOf(statSync(real), euid, { sticky: true });
    return parent ? { path: existing, problem: parent } : null;
  }
  const top = statSync(real);
  const own = problemOf(top, euid, { sticky: false });
  if (own) return { path: dir, problem: own };
  for (const sub of STATE_SUBDIRS) {
    const path = join(real, sub);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (!st.isDirectory()) return { path, problem: st.isSymbolicLink() ? 'a symbolic link, not a directory' : 'not a directory' };
    const problem = problemOf(st, euid, { sticky: false });
    if (problem) return { path, problem };
  }
  return null;
};

/** Throws UntrustedPathError when the state directory cannot be trusted. */
export const verifyStateDir = (dir: string, euid = euidNow()): void => {
  const p = stateDirProblem(dir, euid);
  if (!p) return;
  // The fix is a command to run; none exists for a pseudo file system (choose another state_dir).
  const fix = p.problem.startsWith('a symbolic link') ? `rm ${quoteArg(p.path)}` : p.problem.startsWith('on a kernel') ? undefined : secureFix(p.path);
  throw new UntrustedPathError(p.path, `state directory not trusted: ${p.problem}`, fix);
};

/** A socket, lock or cache entry inside a trusted directory: owned by euid (root's own run), not a symlink. */
export const ownedEntryProblem = (path: string, euid = euidNow()): string | null => {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.uid !== euid) return `owned by uid ${st.uid}, not by uid ${euid}`;
  if ((st.mode & 0o022) !== 0) return `writable by group or others (mode ${octal(st.mode)})`;
  return null;
};

/**
 * True when someone other than the user running zfailover could read the file: group/other read bits, or
 * another owner. Secrets (SMTP passwords, SNMP keys) must not be kept in such a file.
 */
export const isReadableByOthers = (loaded: { readonly mode: number | null; readonly uid: number | null }, euid = process.geteuid?.() ?? 0): boolean =>
  loaded.mode !== null && ((loaded.mode & 0o044) !== 0 || (loaded.uid !== null && loaded.uid !== euid));
