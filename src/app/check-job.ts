// Wiring of check job: selection -> state files, locks and (unless --no-zfs) listings -> evaluate, under runCheck's deadline.
import type { CommandResult } from '../outcome.js';
import { runCheck } from '../plugin/check.js';
import { CheckHosts } from '../checks/hosts.js';
import type { ChecksConfig } from '../config/schema/checks.js';
import { evaluateJobs } from '../checks/job.js';
import type { CheckInput } from './check.js';
import { selectJobs } from '../checks/selection.js';
import { resolveTimeout, thresholdsFor } from '../checks/settings.js';
import { DEFAULT_FAILURES_WARNING, DEFAULT_MAX_RUNTIME, DEFAULT_PRUNE_HORIZON, probe, type JobCliOptions } from '../checks/job-probe.js';

export const runJobCheck = async (input: CheckInput & { opts: CheckInput['opts'] & JobCliOptions }): Promise<CommandResult> => {
  const { ctx, opts } = input;
  const sel = await selectJobs(input);
  const checks = sel.config.data.checks as ChecksConfig;
  const jc = checks?.job;
  const pool = new CheckHosts(sel.stateDir, ctx.now, ctx.env);
  try {
    return await runCheck({
      timeoutSec: resolveTimeout(opts.timeout, checks),
      signal: ctx.signal,
      probe: (signal) =>
        probe({
          jobs: sel.jobs,
          loaded: sel.config,
          stateDir: sel.stateDir,
          withZfs: opts.zfs !== false,
          horizonSec: opts.pruneHorizon ?? jc?.prune_horizon ?? DEFAULT_PRUNE_HORIZON,
          pool,
          signal,
          now: ctx.now(),
        }),
      evaluate: (data) =>
        evaluateJobs(data, {
          thresholds: thresholdsFor('job', opts, checks),
          failuresWarning: opts.failuresWarning ?? jc?.failures_warning ?? DEFAULT_FAILURES_WARNING,
          failuresCritical: opts.failuresCritical ?? jc?.failures_critical ?? null,
          maxRuntime: opts.maxRuntime ?? jc?.max_runtime ?? DEFAULT_MAX_RUNTIME,
          now: ctx.now(),
          maxDetails: opts.maxLines,
          commands: sel.commands,
        }),
    });
  } finally {
    await pool.closeAll();
  }
};
