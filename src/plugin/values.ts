// Plugin option values as plain functions, without commander: the check option table (cli/options/check.ts)
// declares its parsers with them, and both commander and the plugins' commander-free fast path read that table.
import { parseDuration } from '../core/duration.js';
import { durationAtom, parseRange, plainAtom, sizeAtom, type AtomParser, type Range } from './range.js';

/** -t/--timeout when neither the command line nor the config's `checks:` section gives one. */
export const DEFAULT_TIMEOUT_SEC = 30;

export type MetricKind = 'duration' | 'size' | 'count' | 'percent';

export const ATOMS: Readonly<Record<MetricKind, AtomParser>> = {
  duration: durationAtom,
  size: sizeAtom,
  count: plainAtom,
  percent: (t) => plainAtom(t.endsWith('%') ? t.slice(0, -1) : t),
};

/** A threshold range in the metric's base units; throws (a UsageError) on a bad range. */
export const thresholdValue = (kind: MetricKind, value: string): Range => parseRange(value, ATOMS[kind]);

/** -t/--timeout in seconds, or null when it is not a positive duration. */
export const timeoutValue = (value: string): number | null => {
  const s = parseDuration(value);
  return s === null || s <= 0 ? null : s;
};

/** A whole number >= min, or null. */
export const countValue = (min: number, value: string): number | null => {
  const n = Number(value);
  return !/^\d+$/.test(value) || n < min ? null : n;
};
