// Value schemas shared by every config section: durations, sizes, ports, paths, identifiers, side specs.
// Each turns the operator's text into the value the code uses (seconds, bytes, a parsed Side) and otherwise
// raises one issue whose message the loader prints after `file:line: key.path:`.
import * as z from 'zod';
import { parseDuration, parseSize } from '../../core/duration.js';
import { isValidId } from '../../core/names.js';
import { datasetNameProblem, parseSide, type Side } from '../../zfs/side.js';

type Ctx = z.core.$RefinementCtx<unknown>;

const fail = (ctx: Ctx, value: unknown, message: string): typeof z.NEVER => {
  ctx.issues.push({ code: 'custom', message, input: value });
  return z.NEVER;
};

/**
 * A custom value schema; z.unknown() also accepts a missing key, which must be reported as missing. `kind` says
 * what the value looks like: zfailover.yml(5) is generated from it (src/cli/man/config-page.ts).
 */
const value = <T>(kind: string, parse: (v: unknown, ctx: Ctx) => T) =>
  z
    .unknown()
    .transform((v, ctx): T => (v === undefined ? fail(ctx, v, MISSING) : parse(v, ctx)))
    .describe(kind);

/** The message for a required key that is absent; the loader recognises it to point at the parent's line. */
export const MISSING = 'missing required key';

/** Longest part of a value a message quotes: enough to find the line, too little to leak a file read by mistake. */
export const SHOWN_MAX = 40;

/**
 * How a value looks in a message: strings quoted (at most SHOWN_MAX characters, control characters and
 * invalid UTF-8 escaped), everything else as YAML would print it.
 */
export const show = (v: unknown): string =>
  typeof v === 'string'
    ? quoteShort(v)
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'a list'
        : typeof v === 'object'
          ? 'a mapping'
          : String(v).slice(0, SHOWN_MAX);

const quoteShort = (s: string): string => {
  const cut = [...s].slice(0, SHOWN_MAX).join('');
  // JSON escaping shows a newline, an escape sequence or a lone surrogate as text instead of acting on the terminal.
  const safe = JSON.stringify(cut)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${safe}'${cut.length < s.length ? '...' : ''}`;
};

/** What a message says about a secret's value: its type, never its text or digits. */
export const showSecret = (v: unknown): string =>
  typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number (quote the secret in the YAML)' : show(v);

/** Seconds from `90s`, `15m`, `1h30m` or a bare number of seconds. */
export const duration = (opts: { min?: number; what?: string } = {}) =>
  value(`duration (90s, 15m, 1h30m, 1d or seconds)${opts.min !== undefined ? `, at least ${opts.min}s` : ''}`, (v, ctx): number => {
    const s = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : null;
    if (s === null) return fail(ctx, v, `not a duration: ${show(v)} (use e.g. 90s, 15m, 2h, 1d)`);
    if (opts.min !== undefined && s < opts.min) return fail(ctx, v, `must be at least ${opts.min}s, got ${show(v)}`);
    return s;
  });

/** A duration that must be positive, or null for "none". */
export const positiveDurationOrNull = () =>
  value('duration above 0 (60s, 15m), or null for none', (v, ctx): number | null => {
    if (v === null) return null;
    const s = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : null;
    if (s === null) return fail(ctx, v, `not a duration: ${show(v)} (use e.g. 60s, 15m; null for none)`);
    if (s <= 0) return fail(ctx, v, `must be above 0 (use null for none), got ${show(v)}`);
    return s;
  });

/** Bytes from `512K`, `16M`, `1G` or a bare number of bytes; must be positive (and at most `max`). */
export const size = (opts: { max?: number; maxText?: string } = {}) =>
  value('size (512K, 16M, 1G or bytes), above 0', (v, ctx): number => {
    const b = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : null;
    if (b === null) return fail(ctx, v, `not a size: ${show(v)} (use e.g. 512K, 16M, 1G)`);
    if (b <= 0) return fail(ctx, v, `must be above 0, got ${show(v)}`);
    if (opts.max !== undefined && b > opts.max) return fail(ctx, v, `must be at most ${opts.maxText ?? opts.max}, got ${show(v)}`);
    return b;
  });

export const sizeOrNull = () =>
  value('size (512K, 10M), or null for no limit', (v, ctx): number | null => {
    if (v === null) return null;
    const b = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : null;
    if (b === null) return fail(ctx, v, `not a size: ${show(v)} (use e.g. 512K, 10M; null for no limit)`);
    if (b <= 0) return fail(ctx, v, `must be above 0 (use null for no limit), got ${show(v)}`);
    return b;
  });

export const port = () =>
  value('port (1-65535)', (v, ctx): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) return fail(ctx, v, `not a port (1-65535): ${show(v)}`);
    return n;
  });

/** Absolute paths only: Monit and cron run programs with cwd `/`, so a relative path would silently move. */
export const absolutePath = () =>
  value('absolute path', (v, ctx): string => {
    if (typeof v !== 'string' || v.trim() === '') return fail(ctx, v, `expected an absolute path, got ${show(v)}`);
    if (!v.startsWith('/')) return fail(ctx, v, `must be an absolute path, got ${show(v)}`);
    if (v.includes('\0')) return fail(ctx, v, 'path contains a NUL byte');
    return v;
  });

export const ID_RULE = "letters, digits, '.' and '-', starting with a letter or digit, at most 48 characters, no '_'";

/** Job, target and label identifiers, which end up inside snapshot names, hold tags and file names. */
export const identifier = (what: string) =>
  value(`${what}: ${ID_RULE}`, (v, ctx): string => {
    if (typeof v !== 'string' || !isValidId(v)) return fail(ctx, v, `invalid ${what} ${show(v)}: use ${ID_RULE}`);
    return v;
  });

/** `pool/ds` or `[user@]host[:port]:pool/ds`, parsed once here so every later step has a Side. */
export const side = (what: string) =>
  value(`${what}: pool/ds or [user@]host[:port]:pool/ds`, (v, ctx): Side => {
    if (typeof v !== 'string') return fail(ctx, v, `expected a ${what} like pool/ds or [user@]host[:port]:pool/ds, got ${show(v)}`);
    try {
      return parseSide(v, what);
    } catch (e) {
      return fail(ctx, v, (e as Error).message);
    }
  });

export const datasetName = (what = 'dataset') =>
  value(`${what} name`, (v, ctx): string => {
    if (typeof v !== 'string') return fail(ctx, v, `expected a ${what} name, got ${show(v)}`);
    const problem = datasetNameProblem(v);
    if (problem) return fail(ctx, v, `invalid ${what} '${v}': ${problem}`);
    return v;
  });
