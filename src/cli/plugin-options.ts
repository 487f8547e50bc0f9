// The reserved plugin options (-w/--warning, -c/--critical, -t/--timeout, -V/--version) on a commander command,
// with ranges parsed in the metric's units so a bad threshold is a usage error (UNKNOWN, exit 3) at parse time.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isZfoError } from '../errors.js';
import { DEFAULT_TIMEOUT_SEC } from '../plugin/check.js';
import type { Range } from '../plugin/range.js';
import { thresholdValue, timeoutValue, type MetricKind } from '../plugin/values.js';

export type { MetricKind };

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
      return thresholdValue(kind, value);
    } catch (e) {
      throw new InvalidArgumentError(isZfoError(e) ? e.message : String(e));
    }
  };

export const timeoutOption = (value: string): number => {
  const s = timeoutValue(value);
  if (s === null) throw new InvalidArgumentError(`not a timeout: '${value}' (use e.g. 10, 30s, 2m)`);
  return s;
};

export interface ThresholdDefaults {
  readonly warning?: string;
  readonly critical?: string;
}

/**
 * -w/-c for the check's main metric, -t/--timeout, and -V/--version (plugin executables exit 3 on it).
 * Defaults are only named in the help: they are applied later, after the config file's `checks:` section,
 * so that a value given nowhere on the command line can still come from the config.
 */
export const addPluginOptions = (
  cmd: Command,
  o: { kind: MetricKind; metric: string; defaults?: ThresholdDefaults; version: string },
): Command => {
  const dflt = (v: string | undefined): string => (v ? `; default ${v}` : '');
  return cmd
    .addOption(
      new Option('-w, --warning <range>', `warning range for ${o.metric} (${EXAMPLES[o.kind]}${dflt(o.defaults?.warning)})`).argParser(rangeOption(o.kind)),
    )
    .addOption(new Option('-c, --critical <range>', `critical range for ${o.metric}${dflt(o.defaults?.critical)}`).argParser(rangeOption(o.kind)))
    .addOption(
      new Option('-t, --timeout <duration>', `give up with UNKNOWN after this long, killing pending zfs/ssh (default ${DEFAULT_TIMEOUT_SEC}s)`).argParser(
        timeoutOption,
      ),
    )
    .version(o.version, '-V, --version');
};
