// The reserved plugin options (-w/--warning, -c/--critical, -t/--timeout, -V/--version) on a commander command,
// with ranges parsed in the metric's units so a bad threshold is a usage error (UNKNOWN, exit 3) at parse time.
import { Command, InvalidArgumentError, Option } from 'commander';
import { isZfoError } from '../errors.js';
import { parseDuration } from '../core/duration.js';
import { DEFAULT_TIMEOUT_SEC } from './check.js';
import { durationAtom, parseRange, plainAtom, sizeAtom, type AtomParser, type Range } from './range.js';

export type MetricKind = 'duration' | 'size' | 'count' | 'percent';

const ATOMS: Readonly<Record<MetricKind, AtomParser>> = {
  duration: durationAtom,
  size: sizeAtom,
  count: plainAtom,
  percent: (t) => plainAtom(t.endsWith('%') ? t.slice(0, -1) : t),
};

const EXAMPLES: Readonly<Record<MetricKind, string>> = {
  duration: 'e.g. 30s, 15m, 2h, 1d, ~:2h, @1h:2h; a bare number is seconds',
  size: 'e.g. 10G, 500M:, @1G:2G; a bare number is bytes',
  count: 'e.g. 10, 10:, ~:10, 10:20, @10:20',
  percent: 'e.g. 80, 80%, ~:90',
};

/** A commander value parser turning a range text into a Range (base units), or a usage error. */
export const rangeOption =
  (kind: MetricKind) =>
  (value: string): Range => {
    try {
      return parseRange(value, ATOMS[kind]);
    } catch (e) {
      throw new InvalidArgumentError(isZfoError(e) ? e.message : String(e));
    }
  };

export const timeoutOption = (value: string): number => {
  const s = parseDuration(value);
  if (s === null || s <= 0) throw new InvalidArgumentError(`not a timeout: '${value}' (use e.g. 10, 30s, 2m)`);
  return s;
};

export interface ThresholdDefaults {
  readonly warning?: string;
  readonly critical?: string;
}

/** -w/-c for the check's main metric, -t/--timeout, and -V/--version (plugin executables exit 3 on it). */
export const addPluginOptions = (
  cmd: Command,
  o: { kind: MetricKind; metric: string; defaults?: ThresholdDefaults; version: string },
): Command => {
  const w = new Option('-w, --warning <range>', `warning range for ${o.metric} (${EXAMPLES[o.kind]})`).argParser(rangeOption(o.kind));
  const c = new Option('-c, --critical <range>', `critical range for ${o.metric}`).argParser(rangeOption(o.kind));
  if (o.defaults?.warning) w.default(rangeOption(o.kind)(o.defaults.warning), o.defaults.warning);
  if (o.defaults?.critical) c.default(rangeOption(o.kind)(o.defaults.critical), o.defaults.critical);
  return cmd
    .addOption(w)
    .addOption(c)
    .addOption(
      new Option('-t, --timeout <duration>', 'give up with UNKNOWN after this long (kills pending zfs/ssh)')
        .argParser(timeoutOption)
        .default(DEFAULT_TIMEOUT_SEC, `${DEFAULT_TIMEOUT_SEC}s`),
    )
    .version(o.version, '-V, --version');
};
