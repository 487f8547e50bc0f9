// Option value parsers shared by commands: they throw commander's InvalidArgumentError with a clear sentence.
import { InvalidArgumentError, Option } from 'commander';
import { parseDuration, parseSize } from '../core/duration.js';

export const durationOption = (value: string): number => {
  const s = parseDuration(value);
  if (s === null) throw new InvalidArgumentError(`not a duration: '${value}' (use e.g. 90s, 15m, 2h, 1d)`);
  return s;
};

export const sizeOption = (value: string): number => {
  const b = parseSize(value);
  if (b === null) throw new InvalidArgumentError(`not a size: '${value}' (use e.g. 512K, 10M, 1G)`);
  // As the config's sizes: 0 would be "no limit" to some tools and "nothing" to others.
  if (b <= 0) throw new InvalidArgumentError(`must be above 0, got '${value}'`);
  return b;
};

export const portOption = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`not a port: '${value}'`);
  return n;
};

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `--now <ISO time>` of snapshot, prune and check gaps: run as if the clock said so, to see what retention does
 * at a given time (docs/parts/retention.md). Declared once here; shown in --help because operators use it.
 */
export const nowOption = (): Option =>
  new Option('--now <time>', 'reason about retention as if the clock showed this ISO time, e.g. 2026-11-26T04:30:00Z').argParser((v: string): number => {
    const t = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) throw new InvalidArgumentError(`not an ISO time: '${v}' (use e.g. 2026-11-26T04:30:00Z)`);
    return t;
  });
