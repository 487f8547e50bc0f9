// What promote and demote set up the same way before their flows run: the config, the state directory, the
// (job, target) pair the command line names, the failover settings and the logger.
import type { Logger } from 'pino';
import type { CliContext, GlobalOptions } from './context.js';
import { loadConfig } from '../config/loader.js';
import type { LoadedConfig } from '../config/loaded.js';
import { resolveStateDir } from '../config/resolve.js';
import { createLogger } from '../log.js';
import { ensureStateDir } from '../state/dir.js';
import { failoverSettings, type FailoverSettings } from '../actions/promote/settings.js';
import { resolvePair, type Pair, type SideArgs } from '../actions/promote/sides.js';

export interface FailoverSetup {
  readonly loaded: LoadedConfig;
  readonly stateDir: string;
  readonly pair: Pair;
  readonly settings: FailoverSettings;
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly log: Logger;
}

export const setUpFailover = async (
  command: 'promote' | 'demote',
  input: {
    readonly sides: readonly string[];
    readonly opts: SideArgs & { readonly dryRun?: boolean; readonly maxLag?: number; readonly skipHook?: readonly string[] };
    readonly globals: GlobalOptions;
    readonly ctx: CliContext;
  },
): Promise<FailoverSetup> => {
  const { opts, globals, ctx } = input;
  const loaded = await loadConfig(globals.config, { optional: opts.job === undefined });
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const pair = resolvePair(command, opts, input.sides, loaded, stateDir);
  const settings = failoverSettings(loaded, pair.job.adhoc ? null : pair.job.id, opts);
  const dryRun = opts.dryRun === true;
  const startedAt = ctx.now();
  if (!dryRun) await ensureStateDir(stateDir);
  const log = await createLogger({
    file: globals.logFile ?? loaded.data.log?.file,
    level: globals.logLevel ?? loaded.data.log?.level ?? 'info',
    verbose: globals.verbose,
  });
  return { loaded, stateDir, pair, settings, dryRun, startedAt, log };
};
