// Wiring of `zfailover prune`: config -> entries, jobs and policies -> one prune run -> state files -> result.
import type { CliContext, GlobalOptions } from './context.js';
import type { CommandResult } from '../outcome.js';
import { loadConfig } from '../config/loader.js';
import { resolveAllJobs, resolveJob, resolveSsh, resolveStateDir } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { ensureStateDir } from '../state/dir.js';
import { acquireLock } from '../state/lock.js';
import { RunnerPool } from '../sync/runners.js';
import { formatSide } from '../zfs/side.js';
import { resolveEntries } from '../config/retention.js';
import { pruneStates, renderPrunePlan, summarizePrune } from '../actions/prune/report.js';
import { runPrune } from '../actions/prune/run.js';
import { writePruneState } from '../actions/prune/state.js';
import { pruneFamilies } from '../actions/prune/metrics.js';
import { publishRunMetrics } from '../state/metrics.js';

export interface PruneCliOptions {
  job?: string[];
  dryRun?: boolean;
  trustListing?: boolean;
  /** Hidden: the clock for tests and simulations (ms since the epoch). */
  now?: number;
}

/** Lock shared by prune runs only: sync is never blocked by prune (see docs/parts/retention.md). */
export const PRUNE_LOCK = 'zfailover-prune';

export const runPruneCommand = async ({ opts, globals, ctx }: { opts: PruneCliOptions; globals: GlobalOptions; ctx: CliContext }): Promise<CommandResult> => {
  const loaded = await loadConfig(globals.config);
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const entries = resolveEntries(loaded);
  const jobs = resolveAllJobs(loaded, { stateDir });
  const selected = opts.job && opts.job.length > 0 ? opts.job.map((name) => resolveJob(loaded, name, { stateDir })) : null;
  if (!selected && entries.length === 0 && jobs.length === 0)
    throw new UsageError(`nothing to prune: ${loaded.path ?? 'the config'} has no snapshots: entries and no jobs`);
  const now = opts.now ?? ctx.now();
  const startedAt = ctx.now();
  const dryRun = opts.dryRun === true;

  const log = await createLogger({
    file: globals.logFile ?? loaded.data.log?.file,
    level: globals.logLevel ?? loaded.data.log?.level ?? 'info',
    verbose: globals.verbose,
  });
  if (!dryRun) await ensureStateDir(stateDir);
  const lock = dryRun ? null : await acquireLock(stateDir, PRUNE_LOCK, { nowMs: ctx.now() });
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  try {
    const run = await runPrune({
      loaded,
      entries,
      jobs,
      selected,
      stateDir,
      now,
      signal: ctx.signal,
      runners,
      dryRun,
      trustListing: opts.trustListing === true,
      entrySsh: resolveSsh(loaded, stateDir),
    });
    for (const d of run.datasets) {
      if (d.destroyed.length > 0) log.info({ dataset: formatSide(d.where), role: d.role, destroyed: d.destroyed }, 'pruned');
      if (d.failure) log.warn({ dataset: formatSide(d.where), role: d.role, error: d.failure.message }, 'prune failed');
    }
    const result = summarizePrune(run, { dryRun });
    if (!dryRun) {
      const names = new Set<string>([...(selected ?? jobs).map((j) => j.id), ...run.datasets.flatMap((d) => d.stateNames)]);
      const states = pruneStates(run, [...names], now);
      for (const s of states) await writePruneState(stateDir, s);
      const textfileDir = loaded.data.metrics?.textfile_dir;
      const finishedAt = ctx.now();
      for (const s of states) {
        const facts = { startedAt, finishedAt, state: result.state };
        await publishRunMetrics({
          textfileDir,
          stateDir,
          command: 'prune',
          job: s.name,
          state: result.state,
          finishedAt,
          log,
          families: (c) => pruneFamilies(s, facts, c),
        });
      }
    }
    return dryRun && !globals.json ? { ...result, text: renderPrunePlan(run, result, now) } : result;
  } finally {
    await runners.closeAll(log);
    await lock?.release();
  }
};
