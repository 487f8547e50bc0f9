// Hands the outcome of a sync run to the alerting module (email/SNMP on state changes).
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { JobReport } from './report.js';

export const notifySync = async (
  _loaded: LoadedConfig,
  _stateDir: string,
  _reports: readonly JobReport[],
  _opts: { now: () => number; log: Logger },
): Promise<void> => {
  // Wired to src/alert once that module lands (see docs/design.md §7).
};
