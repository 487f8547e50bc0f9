// The validated-config cache, `<stateDir>/cache/config-<hash of the absolute path>.json`: what parsing and
// validating one config file produced, so a 15-second cycle with an unchanged file never loads yaml or zod.
// This module must stay free of both (it is on the start-up path); every failure here only means "no cache".
import { constants, type BigIntStats } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { VERSION } from '../version.js';
import type { KeyPath } from './problems.js';
import type { Located } from './yaml-doc.js';

// Set by scripts/bundle.mjs to a hash of the sources and the lockfile: a rebuilt parser never trusts entries
// from another build, even at the same package version. Absent when running from tsc's dist/ or from src/.
declare const __ZFO_BUILD_ID__: string | undefined;

/** An entry is used only when written by this exact format, package version, build and node (ICU time zones). */
export const CACHE_VERSION = `1 ${VERSION} ${typeof __ZFO_BUILD_ID__ === 'string' ? __ZFO_BUILD_ID__ : 'unbundled'} ${process.version}`;

const FORMAT = 'zfailover-config-cache';
// A config file is at most 1 MiB; its entry (text, data, line table) stays well below this.
const MAX_ENTRY = 8 * 1024 * 1024;
// Line table nodes; alias expansion can multiply a small file, and such a file is simply not cached.
const MAX_NODES = 50_000;

/** Identity of the file as read: any edit, replace, touch or chmod changes at least one field (ctime). */
export interface FileKey {
  readonly dev: string;
  readonly ino: string;
  readonly size: string;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
}

export const fileKey = (st: BigIntStats): FileKey => ({
  dev: String(st.dev),
  ino: String(st.ino),
  size: String(st.size),
  mtimeNs: String(st.mtimeNs),
  ctimeNs: String(st.ctimeNs),
});

/** Where the key paths of the file are: the shape of the YAML document with the line of each node. */
export interface LineTree {
  readonly l: number | null;
  /** Children of a mapping (merge keys applied, as the parsed value has them). */
  readonly m?: Readonly<Record<string, LineTree>>;
  /** Items of a sequence. */
  readonly s?: readonly LineTree[];
}

/** What a hit gives back: the validated data and the line table. */
export interface CachedConfig {
  readonly data: unknown;
  readonly lines: LineTree;
}

/** What must match for a hit: the file by path and identity, and its whole text (exact, even on a file system
 * with coarse timestamps where a same-size edit in the same second keeps size and mtime). */
export interface CacheKey {
  readonly path: string;
  readonly key: FileKey;
  readonly text: string;
}

/** cyrb53: a short stable name per config path; no crypto import on the start-up path (collisions only cost a
 * miss, since the entry names its path). */
const hash53 = (s: string): string => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
};

export const cacheFileFor = (stateDir: string, absPath: string): string => join(stateDir, 'cache', `config-${hash53(absPath)}.json`);

/**
 * The top-level `state_dir:` of the text, found without a YAML parser (absolute paths only), or null. Only a
 * guess for where the cache is: the loader stores an entry only where the parsed config puts its state, so a
 * form this misses (flow style, a merge) means no cache for that file, never a wrong one.
 */
export const stateDirInText = (text: string): string | null => {
  const found = [...text.matchAll(/^state_dir[ \t]*:[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s'"#&*!|>{[%@`][^\n#]*?))[ \t\r]*(?:#[^\n]*)?$/gm)];
  if (found.length !== 1) return null;
  const [, dq, sq, plain] = found[0] as RegExpMatchArray;
  const dir = dq ?? sq ?? plain ?? '';
  return dir.startsWith('/') ? dir : null;
};

// JSON has no Infinity (open threshold ranges), -0 or undefined (optional keys zod sets): tagged objects.
const TAG = '$zfo';
const TAGGED: Record<string, unknown> = { Infinity, '-Infinity': -Infinity, NaN, '-0': -0, undefined };

const encode = (data: unknown): string =>
  JSON.stringify(data, (_k, v: unknown) => {
    if (v === undefined) return { [TAG]: 'undefined' };
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [TAG]: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  });

const isTagged = (v: object): v is Record<typeof TAG, string> => {
  const keys = Object.keys(v);
  return (
    keys.length === 1 &&
    keys[0] === TAG &&
    typeof (v as Record<string, unknown>)[TAG] === 'string' &&
    Object.hasOwn(TAGGED, (v as Record<string, string>)[TAG] as string)
  );
};

const revive = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(revive);
  if (v === null || typeof v !== 'object') return v;
  if (isTagged(v)) return TAGGED[v[TAG]];
  // fromEntries defines own properties, so a key such as "__proto__" stays data.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
};

/** The line table of a parsed document: every key path of `value` with `lineOf(path)`; null when too large or cyclic. */
export const buildLineTree = (value: unknown, lineOf: (path: KeyPath) => number | null): LineTree | null => {
  let nodes = 0;
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: (string | number)[]): LineTree | null => {
    if (++nodes > MAX_NODES) return null;
    const l = lineOf(path);
    if (v === null || typeof v !== 'object') return { l };
    if (ancestors.has(v)) return null;
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const s: LineTree[] = [];
        for (let i = 0; i < v.length; i++) {
          const child = walk(v[i], [...path, i]);
          if (!child) return null;
          s.push(child);
        }
        return { l, s };
      }
      const m: Record<string, LineTree> = {};
      for (const [k, x] of Object.entries(v)) {
        const child = walk(x, [...path, k]);
        if (!child) return null;
        Object.defineProperty(m, k, { value: child, enumerable: true, writable: true, configurable: true });
      }
      return { l, m };
    } finally {
      ancestors.delete(v);
    }
  };
  return walk(value, []);
};

/** yaml-doc's locate() answered from a line table: same line, depth and below-a-plain-value flag. */
export const locateIn = (tree: LineTree, path: KeyPath): Located => {
  let node = tree;
  let line = tree.l;
  for (let depth = 0; depth < path.length; depth++) {
    const seg = path[depth] as string | number;
    let child: LineTree | undefined;
    if (node.m) child = Object.hasOwn(node.m, String(seg)) ? node.m[String(seg)] : undefined;
    else if (node.s && typeof seg === 'number') child = node.s[seg];
    else return { line, depth, belowScalar: !node.s };
    if (!child) return { line, depth, belowScalar: false };
    line = child.l ?? line;
    node = child;
  }
  return { line, depth: path.length, belowScalar: false };
};

const currentEuid = (): number => process.geteuid?.() ?? 0;

/** The entry for `want`, or null: missing, unreadable, not ours (owner, mode), corrupt, or for another text. */
export const readCachedConfig = async (file: string, want: CacheKey): Promise<CachedConfig | null> => {
  let fh;
  try {
    // O_NOFOLLOW: the entry is trusted input, so it must be the file we wrote, not a link planted next to it.
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    // Written 0600 by this user; anything else was not written by us or was tampered with: ignore, rewrite.
    if (!st.isFile() || st.uid !== currentEuid() || (st.mode & 0o077) !== 0 || st.size > MAX_ENTRY) return null;
    const entry = JSON.parse(await fh.readFile({ encoding: 'utf8' })) as Record<string, unknown>;
    const key = entry.key as Record<string, unknown> | undefined;
    if (
      entry.format !== FORMAT ||
      entry.version !== CACHE_VERSION ||
      entry.path !== want.path ||
      entry.text !== want.text ||
      !key ||
      (Object.keys(want.key) as (keyof FileKey)[]).some((k) => key[k] !== want.key[k]) ||
      entry.data === null ||
      typeof entry.data !== 'object' ||
      entry.lines === null ||
      typeof entry.lines !== 'object'
    ) {
      return null;
    }
    return { data: revive(entry.data), lines: entry.lines as LineTree };
  } catch {
    return null;
  } finally {
    await fh.close().catch(() => undefined);
  }
};

/**
 * Store an entry (mode 0600, atomically: a reader sees the old entry or the new one). Creates `cache/` (0700)
 * but never the state directory itself. Data that would not come back identical from JSON is not stored.
 */
export const storeCachedConfig = async (stateDir: string, want: CacheKey, data: unknown, lines: LineTree): Promise<boolean> => {
  try {
    const encodedData = encode(data);
    if (!isDeepStrictEqual(revive(JSON.parse(encodedData)), data)) return false;
    try {
      await mkdir(join(stateDir, 'cache'), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    const body = `{"format":${JSON.stringify(FORMAT)},"version":${JSON.stringify(CACHE_VERSION)},"path":${JSON.stringify(want.path)},"key":${JSON.stringify(want.key)},"text":${JSON.stringify(want.text)},"data":${encodedData},"lines":${JSON.stringify(lines)}}\n`;
    const { writeFileAtomic } = await import('../state/atomic.js');
    await writeFileAtomic(cacheFileFor(stateDir, want.path), body, 0o600);
    return true;
  } catch {
    // A cache that cannot be written costs the next run a parse, nothing else.
    return false;
  }
};
