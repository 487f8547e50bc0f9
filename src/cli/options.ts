// Option value parsers shared by commands: they throw commander's InvalidArgumentError with a clear sentence.
import { InvalidArgumentError } from 'commander';
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
