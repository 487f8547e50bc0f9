// Thresholds and timeouts of each check: command line > `checks:` in the config > built-in default.
import type { ChecksConfig } from '../config/schema/checks.js';
import { DEFAULT_TIMEOUT_SEC } from '../plugin/check.js';
import { durationAtom, parseRange, plainAtom, type Range, type Thresholds } from '../plugin/range.js';

export type CheckName = 'rpo' | 'divergence' | 'job' | 'capacity' | 'health';

/** Built-in defaults, for a 15 s sync cycle (operator-setup.md): rpo of 30 s is normal, 2 m is not. */
export const DEFAULT_THRESHOLDS: Readonly<Record<CheckName, { warning?: Range; critical?: Range }>> = {
  rpo: { warning: parseRange('30s', durationAtom), critical: parseRange('2m', durationAtom) },
  divergence: {},
  job: { warning: parseRange('2m', durationAtom), critical: parseRange('10m', durationAtom) },
  capacity: { warning: parseRange('80', plainAtom), critical: parseRange('90', plainAtom) },
  // Any read/write/checksum error on a vdev is worth a look; none is normal.
  health: { warning: parseRange('0', plainAtom) },
};

export const thresholdsFor = (
  name: CheckName,
  cli: { warning?: Range | undefined; critical?: Range | undefined },
  config: ChecksConfig | undefined,
): Thresholds => {
  const fromConfig = config?.[name] as { warning?: Range; critical?: Range } | undefined;
  const d = DEFAULT_THRESHOLDS[name];
  return {
    warning: cli.warning ?? fromConfig?.warning ?? d.warning,
    critical: cli.critical ?? fromConfig?.critical ?? d.critical,
  };
};

export const resolveTimeout = (cli: number | undefined, config: ChecksConfig | undefined): number => cli ?? config?.timeout ?? DEFAULT_TIMEOUT_SEC;
