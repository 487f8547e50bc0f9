// Wiring of `zfailover promote`: arguments and config -> the job and its two sides -> the job's lock -> the
// promote flow over the real environment -> one result, the record and the alert (a promotion event).
import { setUpFailover } from './failover-setup.js';
import { zfailoverLine } from '../core/operator-command.js';
import { configJobs, jobCommands, onJobHost, type JobCommands } from '../sync/invocation.js';
import type { JobSpec } from '../config/job-spec.js';
import { hostname } from 'node:os';
import type { CliContext, GlobalOptions } from './context.js';
import type { CommandResult } from '../outcome.js';
import type { LoadedConfig } from '../config/loaded.js';
import { UsageError } from '../errors.js';
import type { Lock } from '../state/lock.js';
import { RunnerPool } from '../sync/runners.js';
import { formatSide } from '../zfs/side.js';
import { realPromoteEnv } from '../actions/promote/env.js';
import { runPromoteFlow, type PromoteOutcome } from '../actions/promote/flow.js';
import { acquireFailoverLock } from '../actions/promote/lock.js';
import { publishFailoverMetrics } from '../actions/promote/publish-metrics.js';
import { isInterrupted, readRecord } from '../actions/promote/record.js';
import { renderPromote } from '../actions/promote/report.js';
import type { Pair, SideArgs } from '../actions/promote/sides.js';

export interface PromoteCliOptions extends SideArgs {
  takeover?: boolean;
  force?: boolean;
  dryRun?: boolean;
  maxLag?: number;
  skipHook?: string[];
  acceptTree?: boolean;
}

export const runPromoteCommand = async (input: {
  sides: readonly string[];
  opts: PromoteCliOptions;
  globals: GlobalOptions;
  ctx: CliContext;
}): Promise<CommandResult> => {
  const { opts, globals, ctx } = input;
  if (opts.takeover && !opts.force && !opts.dryRun)
    throw new UsageError('--takeover promotes without the primary and may leave its last writes behind: add --force (or try --dry-run)');
  if (opts.force && !opts.takeover) throw new UsageError('--force only applies to --takeover');
  if (opts.acceptTree && !opts.takeover) throw new UsageError('--accept-tree only applies to --takeover (a planned switchover syncs the whole tree)');
  const { loaded, stateDir, pair, settings, dryRun, startedAt, log } = await setUpFailover('promote', input);
  const mode = opts.takeover ? 'takeover' : 'planned';
  const cmds = commandsFor(pair, globals, configJobs(loaded, stateDir));
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  let lock: Lock | null = null;
  let outcome: PromoteOutcome;
  try {
    if (!dryRun) lock = await acquireFailoverLock(stateDir, pair.job.id, { now: ctx.now, signal: ctx.signal });
    const record = await readRecord(stateDir, 'promote', pair.job.id);
    const env = realPromoteEnv({
      pair,
      mode,
      runners,
      stateDir,
      now: ctx.now,
      signal: ctx.signal,
      log: log.child({ job: pair.job.id, action: 'promote' }),
      lock,
      settings,
      commands: cmds.commands,
      env: ctx.env,
    });
    outcome = await runPromoteFlow(env, {
      mode,
      maxLag: settings.maxLag,
      acceptTree: opts.acceptTree === true,
      dryRun,
      interrupted: isInterrupted(record),
      command: cmds.promote,
      demoteCommand: cmds.demote,
      commands: {
        sync: cmds.sync,
        status: zfailoverLine(cmds.commands.invocation, ['status']),
        onReplica: (stages) => onJobHost(pair.job, pair.target.side.host, stages),
      },
    });
  } finally {
    await runners.closeAll(log);
    await lock?.release();
  }
  log.info({ state: outcome.state, summary: outcome.summary, steps: outcome.steps, hooks: outcome.hooks }, 'promote finished');
  if (!dryRun) await notify(loaded, stateDir, pair, outcome, ctx, log);
  if (!dryRun)
    await publishFailoverMetrics({
      loaded,
      stateDir,
      command: 'promote',
      job: pair.job.id,
      startedAt,
      finishedAt: ctx.now(),
      outcome,
      epoch: outcome.epoch,
      primary: formatSide(pair.target.side),
      log,
    });
  return renderPromote(outcome, {
    primary: formatSide(pair.job.source),
    replica: formatSide(pair.target.side),
    hooks: settings.hooks,
    skip: settings.skip,
    syncCommand: cmds.sync,
    dryRun,
    json: globals.json,
  });
};

/** The commands shown in hints: this promote again, the demote of the old primary, the job's sync. */
export const commandsFor = (
  pair: Pair,
  g: GlobalOptions,
  others: () => readonly JobSpec[] = () => [],
): { promote: string; demote: string; sync: string; commands: JobCommands } => {
  const commands = jobCommands(pair.job, g, others);
  return {
    promote: zfailoverLine(commands.invocation, ['promote'], { target: pair.job.targets.length > 1 ? pair.target.id : undefined }),
    // The old primary becomes a replica of this one: the config's reverse job when there is one.
    demote: commands.demoteSource(pair.target.id),
    sync: zfailoverLine(commands.invocation, ['sync']),
    commands,
  };
};

const notify = async (
  loaded: LoadedConfig,
  stateDir: string,
  pair: Pair,
  o: PromoteOutcome,
  ctx: CliContext,
  log: Parameters<typeof realPromoteEnv>[0]['log'],
): Promise<void> => {
  if (!loaded.data.alerts || (!o.changed && o.refusal === null && o.state === 'OK')) return;
  const { notifyAlerts } = await import('../alert/notify.js');
  const dataset = pair.target.side.dataset;
  const base = { job: pair.job.id, dataset, target: pair.target.id, kind: 'promotion' as const };
  const promoted = o.changed && o.plan !== null && o.state !== 'CRITICAL';
  const report = await notifyAlerts({
    config: loaded.data.alerts,
    stateDir,
    now: ctx.now(),
    host: hostname(),
    source: 'promote',
    items: [
      {
        ...base,
        state: o.state,
        summary: o.summary,
        ...(o.hint ? { command: o.hint } : {}),
        ...(o.refusal ? { conflict: o.refusal.conflict } : {}),
        ...(o.datasetEpoch !== null ? { epoch: o.datasetEpoch } : {}),
      },
    ],
    events: promoted
      ? [
          {
            ...base,
            state: o.state,
            summary: `${formatSide(pair.target.side)} promoted to primary, epoch ${o.epoch}`,
            epoch: o.epoch ?? undefined,
            ...(o.plan?.lagSeconds != null ? { lagSeconds: o.plan.lagSeconds } : {}),
          },
        ]
      : [],
    logger: log.child({ component: 'alert' }),
    deadlineMs: 5000,
  });
  if (report.errors.length > 0) log.warn({ errors: report.errors }, 'some alerts were not delivered (queued)');
};
