// Wiring of check gaps: config entries -> the prune planner's view of each dataset -> missing snapshots, under runCheck's deadline.
import type { CliContext, GlobalOptions } from './context.js';
import type { CommandResult } from '../outcome.js';
import { loadConfig } from '../config/loader.js';
import { resolveAllJobs, resolveJob, resolveSsh, resolveStateDir } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { runCheck } from '../plugin/check.js';
import type { Thresholds } from '../plugin/range.js';
import { RunnerPool } from '../sync/runners.js';
import { formatSide, parseSide } from '../zfs/side.js';
import { entryCovers, resolveEntries } from '../config/retention.js';
import { runPrune } from '../actions/prune/run.js';
import { resolveTimeout } from '../checks/settings.js';
import type { ChecksConfig } from '../config/schema/checks.js';
import { DEFAULT_GRACE_SECONDS, DEFAULT_WARNING, evaluateRun, onlyWanted, type GapsCliOptions } from '../checks/gaps.js';

export const runGapsCheck = async (input: {
  datasets: readonly string[];
  opts: GapsCliOptions;
  globals: GlobalOptions;
  ctx: CliContext;
}): Promise<CommandResult> => {
  const { opts, ctx } = input;
  const loaded = await loadConfig(opts.config ?? input.globals.config);
  const stateDir = resolveStateDir(opts.stateDir ?? input.globals.stateDir, loaded);
  let entries = resolveEntries(loaded);
  const jobs = resolveAllJobs(loaded, { stateDir });
  const selected = opts.job && opts.job.length > 0 ? opts.job.map((n) => resolveJob(loaded, n, { stateDir })) : null;
  const wanted = input.datasets.map((d) => parseSide(d, 'dataset'));
  if (wanted.length > 0) {
    if (selected) throw new UsageError('give DATASET... or --job NAME, not both');
    for (const w of wanted) if (!entries.some((e) => entryCovers(e, w))) throw new UsageError(`${formatSide(w)} is not covered by a snapshots: entry`);
    entries = entries.filter((e) => wanted.some((w) => entryCovers(e, w)));
  }
  const now = opts.now ?? ctx.now();
  const graceMs = (opts.grace ?? DEFAULT_GRACE_SECONDS) * 1000;
  const thresholds: Thresholds = { warning: opts.warning ?? DEFAULT_WARNING, critical: opts.critical };
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  try {
    return await runCheck({
      timeoutSec: resolveTimeout(opts.timeout, loaded.data.checks as ChecksConfig | undefined),
      signal: ctx.signal,
      what: 'retention gaps',
      probe: (signal) =>
        runPrune({
          loaded,
          entries,
          jobs,
          selected: wanted.length > 0 ? null : selected,
          stateDir,
          now,
          signal,
          runners,
          dryRun: true,
          trustListing: true,
          entrySsh: resolveSsh(loaded, stateDir),
        }),
      // DATASET... asks about those datasets (and their children): the replicas prune also decides on are not counted.
      evaluate: (run) => evaluateRun(wanted.length > 0 ? onlyWanted(run, wanted) : run, { now, graceMs, thresholds, maxLines: opts.maxLines }),
    });
  } finally {
    await runners.closeAll();
  }
};
