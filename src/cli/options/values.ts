// Option value parsers as plain functions (no commander): each returns the value or throws a UsageError whose
// message is the reason commander shows. Commander's argParsers wrap them (options/commander.ts); the fast
// paths call the very same functions and leave any value they refuse to commander, which then words the error.
import { parseDuration, parseSize } from '../../core/duration.js';
import { UsageError } from '../../errors.js';
import type { Range } from '../../plugin/range.js';
import { countValue, thresholdValue, timeoutValue, type MetricKind } from '../../plugin/values.js';

export const durationValue = (value: string): number => {
  const s = parseDuration(value);
  if (s === null) throw new UsageError(`not a duration: '${value}' (use e.g. 90s, 15m, 2h, 1d)`);
  return s;
};

export const sizeValue = (value: string): number => {
  const b = parseSize(value);
  if (b === null) throw new UsageError(`not a size: '${value}' (use e.g. 512K, 10M, 1G)`);
  // As the config's sizes: 0 would be "no limit" to some tools and "nothing" to others.
  if (b <= 0) throw new UsageError(`must be above 0, got '${value}'`);
  return b;
};

export const portValue = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`not a port: '${value}'`);
  return n;
};

/** A whole number >= min. */
export const countOf =
  (min: number) =>
  (value: string): number => {
    const n = countValue(min, value);
    if (n === null) throw new UsageError(`not a whole number >= ${min}: '${value}'`);
    return n;
  };

/** A threshold range in the metric's base units (thresholdValue throws the UsageError). */
export const rangeOf =
  (kind: MetricKind) =>
  (value: string): Range =>
    thresholdValue(kind, value);

/** Dataset transfers at once per target: the config's `concurrency` bounds (1 to 64). */
export const concurrencyValue = (value: string): number => {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 64)) throw new UsageError(`--concurrency: expected a whole number from 1 to 64, got '${value}'`);
  return n;
};

export const timeoutSeconds = (value: string): number => {
  const s = timeoutValue(value);
  if (s === null) throw new UsageError(`not a timeout: '${value}' (use e.g. 10, 30s, 2m)`);
  return s;
};

/** `--now <ISO time>`: milliseconds since the epoch. */
export const isoTimeValue = (value: string): number => {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new UsageError(`not an ISO time: '${value}' (use e.g. 2026-11-26T04:30:00Z)`);
  return t;
};
