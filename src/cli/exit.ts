// The one place that maps outcomes and errors to service states and exit codes (Nagios plugin convention).
import { type ErrorKind, isZfoError } from '../errors.js';

export type ServiceState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const EXIT_CODE: Readonly<Record<ServiceState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

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

export const exitCodeFor = (state: ServiceState): number => EXIT_CODE[state];
