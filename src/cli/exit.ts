// The one place that maps a service state to a process exit code (Nagios plugin convention).
import type { ServiceState } from '../outcome.js';

export const EXIT_CODE: Readonly<Record<ServiceState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

export const exitCodeFor = (state: ServiceState): number => EXIT_CODE[state];
