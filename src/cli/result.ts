// What every command returns to main: a state, one status line, optional long output and a JSON report.
import type { ServiceState } from './exit.js';

export interface CommandResult {
  readonly state: ServiceState;
  /** Text after `STATE: `; kept short (Monit shows 512 bytes of stderr+stdout). */
  readonly summary: string;
  /** Nagios perfdata, already formatted (`label=value[UOM];warn;crit;min;max ...`). */
  readonly perfdata?: string;
  /** Further lines (Nagios long output), e.g. one per dataset. */
  readonly details?: readonly string[];
  /** Full machine-readable report for `--json`. */
  readonly report?: unknown;
  /** Raw text to print instead of a status line (help, dry-run plans, status tables). */
  readonly text?: string;
}
