// Wiring of `zfailover status`: jobs from the config (or SOURCE TARGET... ad hoc) -> every side listed in
// parallel (a dead host is reported, not fatal) -> job state and promotion records -> evaluateStatus -> one
// status line (the worst job) and a table, one line per side.
import { zfailoverLine } from '../core/operator-command.js';
import { configJobs, jobCommands, type JobCommands } from '../sync/invocation.js';
import type { CliContext, GlobalOptions } from './context.js';
import { worstState } from '../outcome.js';
import type { CommandResult } from '../outcome.js';
import { NO_SYNC_FLAGS, type SyncFlags } from '../config/overrides.js';
import { jobsFor, type JobSelection } from './jobs.js';
import { loadConfig } from '../config/loader.js';
import { resolveStateDir } from '../config/resolve.js';
import { evaluateStatus, type JobStatus, type SideInput } from '../core/failover/status.js';
import { oneLine, UsageError } from '../errors.js';
import { readJobState } from '../state/job-state.js';
import type { JobSpec } from '../config/job-spec.js';
import { RunnerPool } from '../sync/runners.js';
import { formatSide, type Side } from '../zfs/side.js';
import { readRecord } from '../actions/promote/record.js';
import { listSide } from '../actions/promote/sides.js';
import { renderStatus } from '../actions/status/render.js';

export interface StatusCliOptions {
  job?: string[];
  recursive?: boolean;
  sshKey?: string;
  sshPort?: number;
  sshOption?: string[];
}

export const runStatusCommand = async (input: {
  sides: readonly string[];
  opts: StatusCliOptions;
  globals: GlobalOptions;
  ctx: CliContext;
}): Promise<CommandResult> => {
  const { opts, globals, ctx } = input;
  const adhoc = input.sides.length > 0;
  if (adhoc && opts.job) throw new UsageError('give either SOURCE TARGET... or --job NAME, not both');
  if (input.sides.length === 1) throw new UsageError('status needs SOURCE and at least one TARGET (or --job NAME, or nothing for every job)');
  const loaded = await loadConfig(globals.config, { optional: adhoc });
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const sshOverrides = { sshKey: opts.sshKey, sshPort: opts.sshPort, sshOption: opts.sshOption };
  const flags: SyncFlags = { ...NO_SYNC_FLAGS, ...(adhoc && opts.recursive ? { recursive: true } : {}), ...sshOverrides };
  const selection: JobSelection = adhoc
    ? { kind: 'adhoc', source: input.sides[0], targets: input.sides.slice(1) }
    : opts.job
      ? { kind: 'named', names: opts.job }
      : { kind: 'all' };
  const jobs = await jobsFor(selection, flags, loaded, stateDir);
  if (selection.kind === 'all' && jobs.length === 0) throw new UsageError('the config defines no jobs: give SOURCE TARGET... or --config FILE');
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  let statuses: JobStatus[];
  try {
    const others = configJobs(loaded, stateDir);
    statuses = await Promise.all(jobs.map((job) => jobStatus(job, runners, stateDir, ctx, (j) => jobCommands(j, globals, others))));
  } finally {
    await runners.closeAll();
  }
  const state = worstState(statuses.map((s) => s.state));
  return renderStatus(statuses, state, Math.floor(ctx.now() / 1000));
};

const jobStatus = async (job: JobSpec, runners: RunnerPool, stateDir: string, ctx: CliContext, commands: (job: JobSpec) => JobCommands): Promise<JobStatus> => {
  const list = async (side: Side): Promise<SideInput> => {
    const label = formatSide(side);
    try {
      const runner = runners.runner(side.host, job.ssh);
      return { label, tree: await listSide(runner, await runners.capabilities(runner), job, side, ctx.signal) };
    } catch (e) {
      return { label, tree: null, error: oneLine(e) };
    }
  };
  const cmds = commands(job);
  const [source, ...targets] = await Promise.all([list(job.source), ...job.targets.map((t) => list(t.side))]);
  const state = await readJobState(stateDir, job.id).catch(() => null);
  const records = (await Promise.all((['promote', 'demote'] as const).map((a) => readRecord(stateDir, a, job.id).catch(() => null)))).filter((r) => r !== null);
  return evaluateStatus({
    job: job.id,
    source: source!,
    targets: targets.map((t, i) => ({ ...t, id: job.targets[i]!.id })),
    now: Math.floor(ctx.now() / 1000),
    lastSync: state?.lastRun ? { state: state.lastRun.state, at: state.lastRun.finishedAt, successAt: state.lastSuccess?.at ?? null } : null,
    commands: { demoteSource: cmds.demoteSource, demoteTarget: cmds.demoteTarget, checkDivergence: zfailoverLine(cmds.invocation, ['check', 'divergence']) },
    records: records.map((r) => ({ action: r.action, mode: r.mode, phase: r.phase, epoch: r.epoch, updatedAt: r.updatedAt, aside: r.aside ?? null })),
  });
};
