// Wiring of the replication checks (rpo, divergence): selection -> probe -> evaluate, under runCheck's deadline.
// Everything slow (listings, ssh) happens inside the probe so --timeout covers it and kills it.
import type { JobCommands } from '../sync/invocation.js';
import type { JobSpec } from '../config/job-spec.js';
import type { CliContext } from './context.js';
import type { CommandResult } from '../outcome.js';
import { runCheck } from '../plugin/check.js';
import type { Range, Thresholds } from '../plugin/range.js';
import { CheckHosts } from '../checks/hosts.js';
import type { ChecksConfig } from '../config/schema/checks.js';
import { evaluateDivergence } from '../checks/divergence.js';
import { probeJobs, type JobProbe } from '../checks/replication-probe.js';
import { evaluateRpo } from '../checks/rpo.js';
import { selectJobs, type SelectionOptions } from '../checks/selection.js';
import { resolveTimeout, thresholdsFor } from '../checks/settings.js';

export interface CheckCliOptions extends SelectionOptions {
  warning?: Range;
  critical?: Range;
  timeout?: number;
  estimate?: boolean;
  maxLines?: number;
}

export interface CheckInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: CheckCliOptions;
  readonly globals: { config: string | undefined; stateDir: string | undefined };
  readonly ctx: CliContext;
}

type ReplicationCheck = 'rpo' | 'divergence';

type Commands = (job: JobSpec) => JobCommands;
const EVALUATE: Record<
  ReplicationCheck,
  (probes: JobProbe[], t: Thresholds, now: number, maxLines: number | undefined, commands: Commands) => ReturnType<typeof evaluateRpo>
> = {
  rpo: (probes, thresholds, now, maxDetails, commands) => evaluateRpo(probes, { thresholds, now, maxDetails, commands }),
  divergence: (probes, thresholds, now, maxDetails, commands) => evaluateDivergence(probes, { thresholds, now, maxDetails, commands }),
};

export const runReplicationCheck = async (name: ReplicationCheck, input: CheckInput): Promise<CommandResult> => {
  const { ctx, opts } = input;
  // Selection errors (bad arguments, bad config) are usage/config errors: UNKNOWN before any probing.
  const sel = await selectJobs(input);
  const checks = sel.config.data.checks as ChecksConfig;
  const thresholds = thresholdsFor(name, opts, checks);
  const now = ctx.now() / 1000;
  const pool = new CheckHosts(sel.stateDir, ctx.now, ctx.env);
  try {
    return await runCheck({
      timeoutSec: resolveTimeout(opts.timeout, checks),
      signal: ctx.signal,
      probe: (signal) => probeJobs(sel.jobs, { pool, signal, now, estimate: name === 'rpo' && opts.estimate !== false, maxEstimates: 8 }),
      evaluate: (probes) => EVALUATE[name](probes, thresholds, now, opts.maxLines, sel.commands),
    });
  } finally {
    await pool.closeAll();
  }
};
