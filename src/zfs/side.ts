// Side specs (`pool/ds`, `[user@]host[:port]:pool/ds`) and ZFS name validation, with one-line usage errors.
import { UsageError } from '../errors.js';
import type { HostSpec } from './types.js';

export interface Side {
  /** null for the local host. */
  readonly host: HostSpec | null;
  readonly dataset: string;
}

// ZFS component characters (zfs(8) "Naming"): alphanumerics, `_`, `-`, `:`, `.` and space.
const COMPONENT_RE = /^[A-Za-z0-9_\-:. ]+$/;
const RESERVED_POOLS = new Set(['mirror', 'raidz', 'raidz1', 'raidz2', 'raidz3', 'draid', 'spare', 'log', 'cache', 'special', 'dedup']);
const MAX_NAME = 255;

/** Why `name` is not a valid filesystem/volume name, or null when it is. */
export const datasetNameProblem = (name: string): string | null => {
  if (name.length === 0) return 'empty dataset name';
  if (name.length > MAX_NAME) return `dataset name longer than ${MAX_NAME} characters`;
  if (name.includes('@') || name.includes('#')) return 'a dataset, not a snapshot or bookmark, is expected';
  const parts = name.split('/');
  const pool = parts[0] as string;
  if (!/^[A-Za-z]/.test(pool)) return 'pool name must begin with a letter';
  if (RESERVED_POOLS.has(pool) || /^c[0-9]/.test(pool)) return `'${pool}' is a reserved pool name`;
  for (const p of parts) {
    if (p === '') return 'empty component (double or trailing slash)';
    if (p === '.' || p === '..') return `'${p}' is not a valid component`;
    if (!COMPONENT_RE.test(p)) return `invalid character in '${p}' (allowed: letters, digits, _ - : . space)`;
  }
  return null;
};

/** Why a snapshot's short name (after `@`) is invalid, or null. */
export const snapshotNameProblem = (short: string): string | null => {
  if (short.length === 0) return 'empty snapshot name';
  if (!COMPONENT_RE.test(short)) return `invalid character in snapshot name '${short}'`;
  return null;
};

export const verifyDatasetName = (name: string, what = 'dataset'): string => {
  const problem = datasetNameProblem(name);
  if (problem) throw new UsageError(`invalid ${what} '${name}': ${problem}`);
  return name;
};

/**
 * `tank/data` -> local; `host:tank/data`, `user@host:tank/data`, `user@host:2222:tank/data`,
 * `[::1]:2222:tank/data`. A pool name begins with a letter, so a numeric field is always a port.
 */
export const parseSide = (spec: string, what = 'side'): Side => {
  // Used exactly as given: blanks are valid in ZFS names, so trimming would name a different dataset.
  const s = spec;
  if (s.trim() === '') throw new UsageError(`empty ${what}`);
  let rest = s;
  let host: HostSpec | null = null;
  const v6 = /^(?:([^@\s]+)@)?\[([0-9A-Fa-f:.]+)\](?::(\d+))?:(.+)$/.exec(s);
  if (v6) {
    host = makeHost(v6[1], v6[2] as string, v6[3], spec, what);
    rest = v6[4] as string;
  } else if (s.includes(':') && !s.slice(0, s.indexOf(':')).includes('/')) {
    // host part = up to the first ':' (dataset components may contain ':' after the pool name).
    const m = /^(?:([^@:\s/]+)@)?([^@:\s/]+)(?::(\d+))?:(.+)$/.exec(s);
    if (!m) throw new UsageError(`invalid ${what} '${spec}': expected pool/ds or [user@]host[:port]:pool/ds`);
    host = makeHost(m[1], m[2] as string, m[3], spec, what);
    rest = m[4] as string;
  }
  return { host, dataset: verifyDatasetName(rest, what) };
};

const makeHost = (user: string | undefined, host: string, port: string | undefined, spec: string, what: string): HostSpec => {
  if (!/^[A-Za-z0-9.:_-]+$/.test(host) || host.startsWith('-')) throw new UsageError(`invalid host in ${what} '${spec}'`);
  if (user !== undefined && (!/^[A-Za-z0-9._-]+$/.test(user) || user.startsWith('-'))) {
    throw new UsageError(`invalid user in ${what} '${spec}'`);
  }
  let p: number | undefined;
  if (port !== undefined) {
    p = Number(port);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`invalid port in ${what} '${spec}'`);
  }
  return { ...(user !== undefined ? { user } : {}), host, ...(p !== undefined ? { port: p } : {}) };
};

/** `user@host:port` label of a host (or `local`), used in logs, cache keys and reports. */
export const hostLabel = (h: HostSpec | null, defaultPort?: number): string => {
  if (!h) return 'local';
  const host = h.host.includes(':') ? `[${h.host}]` : h.host;
  const port = h.port ?? defaultPort;
  return `${h.user ? `${h.user}@` : ''}${host}${port ? `:${port}` : ''}`;
};

/** Inverse of parseSide, for messages and for the commands we suggest to the operator. */
export const formatSide = (side: Side): string => (side.host ? `${hostLabel(side.host)}:${side.dataset}` : side.dataset);
