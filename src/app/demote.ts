// Wiring of `zfailover demote`: the reverse job (its source the primary that stays, its target the side to
// demote) -> its lock -> the demote flow over runners (zfs operations on the demoted side, the first sync as one
// ordinary cycle of that job) -> result, record, alert (a demotion event).
import { setUpFailover } from './failover-setup.js';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { CliContext, GlobalOptions } from './context.js';
import type { CommandResult } from '../outcome.js';
import type { LoadedConfig } from '../config/loaded.js';
import { formatDivergedDatasetName } from '../core/names.js';
import type { Lock } from '../state/lock.js';
import { runCycle } from '../sync/cycle.js';
import { targetFailure } from '../sync/report.js';
import { configJobs, jobCommands, type JobCommands } from '../sync/invocation.js';
import { zfailoverLine } from '../core/operator-command.js';
import { RunnerPool } from '../sync/runners.js';
import { formatSide } from '../zfs/side.js';
import { runnerFor } from '../zfs/runner.js';
import { runHooks } from '../actions/promote/hooks.js';
import { acquireFailoverLock } from '../actions/promote/lock.js';
import { publishFailoverMetrics } from '../actions/promote/publish-metrics.js';
import { readRecord, writeRecord, type FailoverRecord } from '../actions/promote/record.js';
import { renderDemote } from '../actions/promote/report.js';
import type { FailoverSettings } from '../actions/promote/settings.js';
import { listSide, type Pair, type SideArgs } from '../actions/promote/sides.js';
import { runZfsOp } from '../actions/promote/zfs-ops.js';
import { runDemoteFlow, type DemoteEnv, type DemoteOutcome } from '../actions/demote/flow.js';

export interface DemoteCliOptions extends SideArgs {
  dryRun?: boolean;
  skipHook?: string[];
}

export const runDemoteCommand = async (input: {
  sides: readonly string[];
  opts: DemoteCliOptions;
  globals: GlobalOptions;
  ctx: CliContext;
}): Promise<CommandResult> => {
  const { globals, ctx } = input;
  const setup = await setUpFailover('demote', input);
  const { loaded, stateDir, pair, settings, dryRun, startedAt } = setup;
  const log = setup.log.child({ job: pair.job.id, action: 'demote' });
  const commands = jobCommands(pair.job, globals, configJobs(loaded, stateDir));
  const syncCommand = zfailoverLine(commands.invocation, ['sync']);
  const command = zfailoverLine(commands.invocation, ['demote'], { target: pair.job.targets.length > 1 ? pair.target.id : undefined });
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  let lock: Lock | null = null;
  let outcome: DemoteOutcome;
  try {
    if (!dryRun) lock = await acquireFailoverLock(stateDir, pair.job.id, { now: ctx.now, signal: ctx.signal });
    const record = await readRecord(stateDir, 'demote', pair.job.id);
    const env = realDemoteEnv({ pair, runners, stateDir, ctx, log, lock, commands, settings, record });
    const demoteCommands = {
      swapped: commands.demoteSource(pair.target.id),
      status: zfailoverLine(commands.invocation, ['status']),
    };
    outcome = await runDemoteFlow(env, { dryRun, syncCommand, command, commands: demoteCommands });
  } finally {
    await runners.closeAll(log);
    await lock?.release();
  }
  log.info({ state: outcome.state, summary: outcome.summary, steps: outcome.steps }, 'demote finished');
  if (!dryRun) await notify(loaded, stateDir, pair, outcome, ctx, log);
  if (!dryRun)
    await publishFailoverMetrics({
      loaded,
      stateDir,
      command: 'demote',
      job: pair.job.id,
      startedAt,
      finishedAt: ctx.now(),
      outcome,
      epoch: outcome.plan?.epoch ?? null,
      primary: formatSide(pair.job.source),
      log,
    });
  return renderDemote(outcome, {
    primary: formatSide(pair.job.source),
    replica: formatSide(pair.target.side),
    hooks: settings.hooks,
    skip: settings.skip,
    syncCommand,
    dryRun,
    json: globals.json,
  });
};

interface DemoteEnvInput {
  readonly pair: Pair;
  readonly runners: RunnerPool;
  readonly stateDir: string;
  readonly ctx: CliContext;
  readonly log: Logger;
  readonly lock: Lock | null;
  readonly commands: JobCommands;
  readonly settings: FailoverSettings;
  readonly record: FailoverRecord | null;
}

const realDemoteEnv = (c: DemoteEnvInput): DemoteEnv => {
  const { job, target } = c.pair;
  const source = c.runners.runner(job.source.host, job.ssh);
  const runner = c.runners.runner(target.side.host, job.ssh);
  const startedAt = c.ctx.now();
  return {
    now: c.ctx.now,
    listSource: async () => listSide(source, await c.runners.capabilities(source), job, job.source, c.ctx.signal),
    listTarget: async () => listSide(runner, await c.runners.capabilities(runner), job, target.side, c.ctx.signal),
    async listAside(name) {
      const t = await listSide(runner, await c.runners.capabilities(runner), job, target.side, c.ctx.signal, name);
      return t.datasets.has('') ? t : null;
    },
    interruptedAside: () => (c.record && c.record.phase !== 'done' && c.record.replica === formatSide(target.side) ? (c.record.aside ?? null) : null),
    asideName: (epoch) => formatDivergedDatasetName(target.side.dataset, epoch, c.ctx.now()),
    runHooks: () =>
      runHooks(c.settings.hooks, 'demote', {
        job: job.id,
        mode: 'demote',
        primary: formatSide(job.source),
        replica: formatSide(target.side),
        primaryDataset: job.source.dataset,
        replicaDataset: target.side.dataset,
        epoch: null,
        // For demote hooks `replica` is the side being demoted (where its service must stop).
        runners: { local: runnerFor(null, job.ssh, { env: c.ctx.env }), primary: source, replica: runner },
        skip: c.settings.skip,
        log: c.log,
        signal: c.ctx.signal,
      }),
    async apply(op) {
      c.log.info({ side: runner.label, op }, 'zfs operation');
      await runZfsOp(runner, await c.runners.capabilities(runner), op, c.ctx.signal);
    },
    async sync() {
      const report = await runCycle(job, {
        stateDir: c.stateDir,
        now: c.ctx.now,
        signal: c.ctx.signal,
        log: c.log.child({ phase: 'first-sync' }),
        runners: c.runners,
        dryRun: false,
        commands: c.commands,
        ...(c.lock ? { heldLock: c.lock } : {}),
      });
      const t = report.targets.find((x) => x.id === target.id);
      const bad = t?.datasets.find((d) => d.state !== 'OK');
      if (report.error || !t || t.error || bad)
        return {
          ok: false,
          summary:
            report.error?.message ??
            (t ? targetFailure(t) : undefined) ??
            (bad ? `${bad.target}: ${bad.conflict ?? ''} ${bad.message ?? bad.outcome}`.trim() : 'target not synced'),
        };
      return { ok: true, summary: `${t.datasets.filter((d) => d.outcome === 'replicated').length} dataset(s) replicated` };
    },
    async record(u) {
      const r: FailoverRecord = {
        version: 1,
        job: job.id,
        action: 'demote',
        mode: 'demote',
        pid: process.pid,
        startedAt,
        updatedAt: c.ctx.now(),
        phase: u.phase,
        epoch: u.epoch,
        primary: formatSide(job.source),
        replica: formatSide(target.side),
        aside: u.aside,
        ...(u.detail ? { detail: u.detail } : {}),
      };
      await writeRecord(c.stateDir, r);
    },
  };
};

const notify = async (loaded: LoadedConfig, stateDir: string, pair: Pair, o: DemoteOutcome, ctx: CliContext, log: Logger): Promise<void> => {
  if (!loaded.data.alerts || (!o.changed && o.refusal === null && o.state === 'OK')) return;
  const { notifyAlerts } = await import('../alert/notify.js');
  const base = { job: pair.job.id, dataset: pair.target.side.dataset, target: pair.target.id, kind: 'demotion' as const };
  const epoch = o.plan?.epoch;
  const report = await notifyAlerts({
    config: loaded.data.alerts,
    stateDir,
    now: ctx.now(),
    host: hostname(),
    source: 'demote',
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
    events:
      o.changed && o.state !== 'CRITICAL'
        ? [
            {
              ...base,
              state: o.state,
              summary: `${formatSide(pair.target.side)} demoted to a replica of ${formatSide(pair.job.source)}, epoch ${epoch}${o.plan?.aside ? `; diverged writes kept in ${o.plan.aside}` : ''}`,
              ...(epoch !== undefined ? { epoch } : {}),
            },
          ]
        : [],
    logger: log.child({ component: 'alert' }),
    deadlineMs: 5000,
  });
  if (report.errors.length > 0) log.warn({ errors: report.errors }, 'some alerts were not delivered (queued)');
};
