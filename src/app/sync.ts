// Wiring of `zfailover sync`: arguments and config -> jobs -> one cycle each -> one result (and the alerts).
import type { CliContext, GlobalOptions } from './context.js';
import type { SyncFlags } from '../config/overrides.js';
import type { CommandResult } from '../outcome.js';
import { UsageError } from '../errors.js';
import { loadConfig } from '../config/loader.js';
import { resolveStateDir } from '../config/resolve.js';
import { jobsFor, type JobSelection } from './jobs.js';
import { createLogger } from '../log.js';
import { ensureStateDir } from '../state/dir.js';
import { terminalProgress } from './progress.js';
import { runCycle } from '../sync/cycle.js';
import { renderDryRun } from './sync-dry-run.js';
import { summarizeJobs, type JobReport } from '../sync/report.js';
import { RunnerPool } from '../sync/runners.js';
import { notifySync } from '../sync/alerts.js';
import { faultHookFromEnv } from '../sync/phases.js';
import { upperBound, type SyncMetricsSettings } from '../sync/metrics.js';
import type { ConfigData } from '../config/schema/index.js';
import { configJobs, jobCommands } from '../sync/invocation.js';

export interface SyncCommandInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: SyncFlags;
  readonly globals: GlobalOptions;
  readonly ctx: CliContext;
}

export const runSyncCommand = async ({ source, targets, opts, globals, ctx }: SyncCommandInput): Promise<CommandResult> => {
  const named = opts.job !== undefined || opts.all === true;
  if (named && (source !== undefined || targets.length > 0)) throw new UsageError('give either SOURCE TARGET... or --job NAME / --all, not both');
  if (opts.job !== undefined && opts.all) throw new UsageError('give either --job NAME or --all');
  if (!named && source === undefined) throw new UsageError('sync needs SOURCE TARGET... or --job NAME / --all');

  // The 15-second path: an unchanged config comes from the validated-config cache (no yaml, no zod).
  const loaded = await loadConfig(globals.config, { optional: !named, cache: { stateDir: globals.stateDir } });
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const selection: JobSelection = opts.all
    ? { kind: 'all' }
    : opts.job !== undefined
      ? { kind: 'named', names: [opts.job] }
      : { kind: 'adhoc', source, targets };
  const jobs = await jobsFor(selection, opts, loaded, stateDir);
  if (jobs.length === 0) throw new UsageError('the config defines no jobs');

  const phase = faultHookFromEnv(ctx.env); // the fault matrix's seam; unset in production
  if (!opts.dryRun) await ensureStateDir(stateDir);
  const log = await createLogger({
    file: globals.logFile ?? loaded.data.log?.file,
    level: globals.logLevel ?? loaded.data.log?.level ?? 'info',
    verbose: globals.verbose,
  });
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  const reports: JobReport[] = [];
  const progress = globals.json ? undefined : terminalProgress();
  const metrics = metricsSettings(loaded.data);
  try {
    for (const job of jobs) {
      if (ctx.signal.aborted) break;
      reports.push(
        await runCycle(job, {
          stateDir,
          now: ctx.now,
          signal: ctx.signal,
          log: log.child({ job: job.id }),
          runners,
          dryRun: opts.dryRun === true,
          commands: jobCommands(job, globals, configJobs(loaded, stateDir)),
          ...(progress ? { progress: progress.show } : {}),
          ...(phase ? { phase } : {}),
          ...(metrics ? { metrics } : {}),
        }),
      );
    }
  } finally {
    progress?.done();
    await runners.closeAll(log);
  }
  if (!opts.dryRun) await notifySync(loaded, stateDir, reports, { now: ctx.now, log });
  const result = summarizeJobs(reports);
  return opts.dryRun && !globals.json ? { ...result, text: renderDryRun(reports, result) } : result;
};

/** Metrics on when `metrics.textfile_dir` is set; the RPO thresholds of `checks.rpo` go along for the alert rules. */
const metricsSettings = (data: ConfigData): SyncMetricsSettings | undefined => {
  const textfileDir = data.metrics?.textfile_dir;
  if (textfileDir === undefined) return undefined;
  const lagWarning = upperBound(data.checks?.rpo?.warning);
  const lagCritical = upperBound(data.checks?.rpo?.critical);
  return { textfileDir, ...(lagWarning !== undefined ? { lagWarning } : {}), ...(lagCritical !== undefined ? { lagCritical } : {}) };
};
