// The state vocabulary every layer speaks: service states, how errors and many results fold into one, and what a
// command returns. The exit code for a state is the CLI's business (src/cli/exit.ts).
import { type ErrorKind, isZfoError } from './errors.js';

export type ServiceState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

const KIND_STATE: Readonly<Record<ErrorKind, ServiceState>> = {
  usage: 'UNKNOWN',
  config: 'UNKNOWN',
  internal: 'UNKNOWN',
  transient: 'WARNING',
  conflict: 'CRITICAL',
  permanent: 'CRITICAL',
};

/** Anything that is not one of our errors is a bug or an unforeseen failure: UNKNOWN, never WARNING. */
export const stateForError = (e: unknown): ServiceState => (isZfoError(e) ? KIND_STATE[e.kind] : 'UNKNOWN');

/**
 * Aggregation order for many results (datasets, targets): CRITICAL > WARNING > UNKNOWN > OK.
 * A known problem outranks not knowing; not knowing outranks OK so a failed probe is never hidden.
 */
const RANK: Readonly<Record<ServiceState, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export const worstState = (states: Iterable<ServiceState>): ServiceState => {
  let worst: ServiceState = 'OK';
  for (const s of states) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
};

/** What every command returns to main: a state, one status line, optional long output and a JSON report. */
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
