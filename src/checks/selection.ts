// Which replication jobs a check looks at: `--job NAME` (repeatable), `--all`, or SOURCE TARGET... given like
// `zfailover sync` (same ad-hoc job id, so the job check finds the state file that sync wrote).
import { DEFAULT_CONFIG_PATH } from '../config/paths.js';
import { NO_SYNC_FLAGS, type SyncFlags } from '../config/overrides.js';
import { loadConfig, type LoadedConfig } from '../config/loader.js';
import { jobNames, resolveJob, resolveStateDir } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import type { JobSpec } from '../config/job-spec.js';
import { configJobs, jobCommands, type JobCommands } from '../sync/invocation.js';

export interface SelectionOptions {
  job?: string[];
  all?: boolean;
  recursive?: boolean;
  exclude?: string[];
  id?: string;
  sshKey?: string;
  sshPort?: number;
  sshOption?: string[];
  /** Also accepted after the subcommand, so `check_zfs_rpo --config FILE` works like `zfailover --config FILE check rpo`. */
  config?: string;
  stateDir?: string;
}

export interface Selection {
  readonly jobs: readonly JobSpec[];
  /** How printed commands name a selected job (same --config/--state-dir and flags as this check). */
  readonly commands: (job: JobSpec) => JobCommands;
  readonly config: LoadedConfig;
  readonly stateDir: string;
}

export interface SelectionInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: SelectionOptions;
  readonly globals: { config: string | undefined; stateDir: string | undefined };
  /** Default config path (tests); the real default is /etc/zfailover/zfailover.yml. */
  readonly defaultConfig?: string;
}

/** Loads the config (optional for ad-hoc sides) and resolves the jobs, failing with a usage/config error. */
export const selectJobs = async (input: SelectionInput): Promise<Selection> => {
  const { opts } = input;
  const configPath = opts.config ?? input.globals.config;
  const named = opts.job ?? [];
  const adhoc = input.source !== undefined;
  const modes = [adhoc, named.length > 0, Boolean(opts.all)].filter(Boolean).length;
  if (modes === 0) throw new UsageError('give SOURCE TARGET..., --job NAME or --all');
  if (modes > 1) throw new UsageError('give only one of SOURCE TARGET..., --job NAME, --all');
  const cliStateDir = opts.stateDir ?? input.globals.stateDir;
  // Checks run every minute or so, like sync: an unchanged config comes from the validated-config cache (no
  // yaml, no config schemas); any other file is parsed and fails exactly as without the cache.
  const config = await loadConfig(configPath, { optional: adhoc, defaultPath: input.defaultConfig ?? DEFAULT_CONFIG_PATH, cache: { stateDir: cliStateDir } });
  const stateDir = resolveStateDir(cliStateDir, config);
  const others = configJobs(config, stateDir);
  const commands = (job: JobSpec): JobCommands => jobCommands(job, { config: configPath, stateDir: cliStateDir }, others);
  if (adhoc) {
    const syncOpts: SyncFlags = {
      ...NO_SYNC_FLAGS,
      ...(opts.recursive ? { recursive: true } : {}),
      ...(opts.exclude ? { exclude: opts.exclude } : {}),
      ...(opts.id !== undefined ? { id: opts.id } : {}),
      ...(opts.sshKey !== undefined ? { sshKey: opts.sshKey } : {}),
      ...(opts.sshPort !== undefined ? { sshPort: opts.sshPort } : {}),
      ...(opts.sshOption ? { sshOption: opts.sshOption } : {}),
    };
    // Ad-hoc sides only: cli-job.ts stays out of the --job path.
    const { jobFromCli } = await import('../config/cli-job.js');
    const job = jobFromCli({ source: input.source, targets: input.targets, opts: syncOpts, config, stateDir });
    return { jobs: [job], config, stateDir, commands };
  }
  if (input.targets.length > 0) throw new UsageError('TARGET arguments need a SOURCE first');
  const names = opts.all ? jobNames(config) : named;
  if (names.length === 0) throw new UsageError(`--all: no jobs defined in ${config.path ?? configPath ?? DEFAULT_CONFIG_PATH}`);
  const overrides = {
    ...(opts.sshKey !== undefined ? { sshKey: opts.sshKey } : {}),
    ...(opts.sshPort !== undefined ? { sshPort: opts.sshPort } : {}),
    ...(opts.sshOption ? { sshOption: opts.sshOption } : {}),
    ...(opts.recursive ? { recursive: true } : {}),
    ...(opts.exclude ? { exclude: opts.exclude } : {}),
    ...(opts.id !== undefined ? { id: opts.id } : {}),
  };
  return { jobs: names.map((n) => resolveJob(config, n, { stateDir, overrides })), config, stateDir, commands };
};
