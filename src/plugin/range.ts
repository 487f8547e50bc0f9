// Threshold ranges of the Monitoring Plugins guidelines (`[@][start:][end]`, `~` = -infinity) and the
// warning/critical evaluation built on them. Pure. Atoms may carry units (`90s`, `2h`, `10G`) through an atom
// parser, so time and size thresholds are written the way operators think; ranges are stored in base units.
import { UsageError } from '../errors.js';
import { parseDuration, parseSize } from '../core/duration.js';

export interface Range {
  /** Lower bound, inclusive; -Infinity for `~`. */
  readonly start: number;
  /** Upper bound, inclusive; Infinity when omitted. */
  readonly end: number;
  /** `@`: alert when the value is inside [start, end] instead of outside. */
  readonly invert: boolean;
}

/** Parses one bound (without sign) into base units, or null when it is not a value of this kind. */
export type AtomParser = (text: string) => number | null;

const PLAIN_RE = /^\d+(?:\.\d+)?$/;

/** Plain decimal number (no exponent, no unit). */
export const plainAtom: AtomParser = (text) => (PLAIN_RE.test(text) ? Number(text) : null);
/** `90s`, `15m`, `2h`, `1d`, `1h30m`; a bare number is seconds. */
export const durationAtom: AtomParser = (text) => (/^\d/.test(text) ? parseDuration(text) : null);
/** `512`, `10K`, `1.5G`, `2TiB` (binary units); a bare number is bytes. */
export const sizeAtom: AtomParser = (text) => (/^\d/.test(text) ? parseSize(text) : null);

/** The guidelines' table: `10` alerts outside 0..10, `10:` below 10, `~:10` above 10, `@10:20` inside. */
export const parseRange = (spec: string, atom: AtomParser = plainAtom): Range => {
  const text = spec.trim();
  const fail = (why: string): never => {
    throw new UsageError(`invalid range '${spec}': ${why} (use e.g. 10, 10:, ~:10, 10:20, @10:20)`);
  };
  if (text === '') fail('empty');
  const invert = text.startsWith('@');
  const body = invert ? text.slice(1) : text;
  const colon = body.indexOf(':');
  if (colon !== body.lastIndexOf(':')) fail('more than one colon');
  const startText = colon < 0 ? '' : body.slice(0, colon);
  const endText = colon < 0 ? body : body.slice(colon + 1);
  if (colon < 0 && endText === '') fail('no bound');
  const start = startText === '~' ? -Infinity : startText === '' ? 0 : signedAtom(startText, atom, fail);
  const end = endText === '' ? Infinity : signedAtom(endText, atom, fail);
  if (start > end) fail('start is greater than end');
  return { start, end, invert };
};

const signedAtom = (text: string, atom: AtomParser, fail: (why: string) => never): number => {
  const negative = text.startsWith('-');
  const v = atom(negative ? text.slice(1) : text);
  if (v === null || !Number.isFinite(v)) return fail(`'${text}' is not a value`);
  return negative ? -v : v;
};

/** Canonical text in base units: round-trips through parseRange with the plain atom parser. */
export const formatRange = (r: Range): string => {
  const start = r.start === -Infinity ? '~:' : r.start === 0 ? '' : `${formatNumber(r.start)}:`;
  const end = r.end === Infinity ? '' : formatNumber(r.end);
  // `0:` would otherwise print as '' (0..inf); keep a colon so the text stays a valid range.
  const body = start === '' && end === '' ? '0:' : `${start}${end}`;
  return `${r.invert ? '@' : ''}${body}`;
};

/** True when `value` must raise an alert for this range. */
export const alerts = (r: Range, value: number): boolean => {
  const inside = value >= r.start && value <= r.end;
  return r.invert ? inside : !inside;
};

/** Why a value alerts, for status text: `> 30s`, `< 10`, `in 10..20`. */
export const violation = (r: Range, value: number, fmt: (n: number) => string = formatNumber): string => {
  if (r.invert) return `in ${r.start === -Infinity ? '-inf' : fmt(r.start)}..${r.end === Infinity ? 'inf' : fmt(r.end)}`;
  return value > r.end ? `> ${fmt(r.end)}` : `< ${fmt(r.start)}`;
};

export interface Thresholds {
  readonly warning?: Range | undefined;
  readonly critical?: Range | undefined;
}

export type ThresholdState = 'OK' | 'WARNING' | 'CRITICAL';

/** Critical is tested first: a value beyond both thresholds is CRITICAL. */
export const evaluate = (value: number, t: Thresholds): ThresholdState => {
  if (t.critical && alerts(t.critical, value)) return 'CRITICAL';
  if (t.warning && alerts(t.warning, value)) return 'WARNING';
  return 'OK';
};

/** Decimal text without exponent notation (perfdata forbids it), at most 6 fraction digits. */
export const formatNumber = (n: number): string => {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString();
  const rounded = Number(n.toFixed(6));
  return Number.isInteger(rounded) ? rounded.toFixed(0) : String(rounded);
};
