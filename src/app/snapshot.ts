// Wiring of `zfailover snapshot`: the `snapshots:` entries of the config (taking what is due now), or the
// zfs-auto-snapshot drop-in `--label L [--keep N] [-r] DATASET...|//` (a snapshot now, then keep the newest N).
import type { CliContext, GlobalOptions } from './context.js';
import { worstState } from '../outcome.js';
import type { CommandResult } from '../outcome.js';
import { loadConfig, type LoadedConfig } from '../config/loader.js';
import { sameHost } from '../config/job-checks.js';
import { resolveAllJobs, resolveSsh, resolveStateDir } from '../config/resolve.js';
import { isValidId } from '../core/names.js';
import { makePolicy, type Policy } from '../core/retention/policy.js';
import type { NameFamily } from '../core/retention/snapshot-names.js';
import { NAME_FAMILIES } from '../core/retention/snapshot-names.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { ensureStateDir } from '../state/dir.js';
import { acquireLock } from '../state/lock.js';
import { readJobState } from '../state/job-state.js';
import type { JobSpec } from '../config/job-spec.js';
import { RunnerPool } from '../sync/runners.js';
import { poolList } from '../zfs/pool.js';
import { formatSide, parseSide, type Side } from '../zfs/side.js';
import type { Peer } from '../core/retention/prune.js';
import { rememberedCommon, rememberedInFlight, relativeInJob } from '../actions/prune/peers.js';
import { resolveEntries } from '../config/retention.js';
import { runUnit, type SnapshotUnit, type UnitReport } from '../actions/snapshot/execute.js';
import { renderSnapshotPlan, summarizeSnapshots } from '../actions/snapshot/report.js';
import { snapshotFamilies } from '../actions/snapshot/metrics.js';
import { publishRunMetrics } from '../state/metrics.js';

export interface SnapshotCliOptions {
  label?: string;
  keep?: number;
  /** Seconds: the drop-in's slot (default one minute, the resolution of zfs-auto-snapshot's names). */
  every?: number;
  recursive?: boolean;
  exclude?: string[];
  pruneNames?: string[];
  dryRun?: boolean;
  /** Hidden: the clock for tests and simulations (ms since the epoch). */
  now?: number;
}

export const SNAPSHOT_LOCK = 'zfailover-snapshot';

export const runSnapshotCommand = async (input: {
  datasets: readonly string[];
  opts: SnapshotCliOptions;
  globals: GlobalOptions;
  ctx: CliContext;
}): Promise<CommandResult> => {
  const { opts, globals, ctx } = input;
  const adhoc = opts.label !== undefined;
  if (!adhoc && (opts.keep !== undefined || opts.every !== undefined || opts.recursive || opts.exclude || opts.pruneNames)) {
    throw new UsageError('--keep, --every, -r, --exclude and --prune-names belong to the drop-in form: add --label LABEL');
  }
  // Arguments are checked before anything is read or created.
  const adhocPolicy = adhoc ? dropInPolicy(input.datasets, opts) : null;
  const loaded = await loadConfig(globals.config, { optional: adhoc });
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const jobs = loaded.path ? resolveAllJobs(loaded, { stateDir }) : [];
  const now = opts.now ?? ctx.now();
  const configured = adhocPolicy ? null : configUnits(input.datasets, loaded, jobs, stateDir);
  const runners = new RunnerPool(stateDir, ctx.now, ctx.env);
  const log = await createLogger({
    file: globals.logFile ?? loaded.data.log?.file,
    level: globals.logLevel ?? loaded.data.log?.level ?? 'info',
    verbose: globals.verbose,
  });
  if (!opts.dryRun) await ensureStateDir(stateDir);
  const lock = opts.dryRun ? null : await acquireLock(stateDir, SNAPSHOT_LOCK, { nowMs: ctx.now() });
  const reports: UnitReport[] = [];
  try {
    const units = configured ?? (await adhocUnits(input.datasets, opts, adhocPolicy as Policy, loaded, jobs, stateDir, runners));
    for (const unit of units) {
      if (ctx.signal.aborted) break;
      const startedAt = ctx.now();
      const r = await runUnit(unit, { runners, now, signal: ctx.signal, dryRun: opts.dryRun === true });
      if (!opts.dryRun) {
        const finishedAt = ctx.now();
        await publishRunMetrics({
          textfileDir: loaded.data.metrics?.textfile_dir,
          stateDir,
          command: 'snapshot',
          job: r.unit,
          state: r.state,
          finishedAt,
          log,
          families: (c) => snapshotFamilies(r, { startedAt, finishedAt }, c),
        });
      }
      if (r.taken.length > 0) log.info({ unit: r.unit, taken: r.taken }, 'snapshots taken');
      if (r.pruned.length > 0) log.info({ unit: r.unit, destroyed: r.pruned }, 'pruned');
      for (const p of r.problems) log.warn({ unit: r.unit }, p);
      reports.push(r);
    }
  } finally {
    await runners.closeAll(log);
    await lock?.release();
  }
  const result = summarizeSnapshots(reports, { dryRun: opts.dryRun === true, state: worstState(reports.map((r) => r.state)) });
  return opts.dryRun && !globals.json ? { ...result, text: renderSnapshotPlan(reports, result, now) } : result;
};

/** Datasets on `side`'s host that some job replicates into: never snapshotted. */
const replicaTargets = (jobs: readonly JobSpec[], side: Side): string[] =>
  jobs.flatMap((j) => j.targets.filter((t) => sameHost(t.side, side)).map((t) => t.side.dataset));

const configUnits = (args: readonly string[], loaded: LoadedConfig, jobs: readonly JobSpec[], stateDir: string): SnapshotUnit[] => {
  let entries = resolveEntries(loaded);
  if (entries.length === 0) throw new UsageError(`${loaded.path}: no snapshots: entries (or use the drop-in: --label LABEL --keep N DATASET...)`);
  if (args.length > 0) {
    const wanted = args.map((a) => parseSide(a, 'dataset'));
    for (const w of wanted) {
      if (!entries.some((e) => sameHost(e.side, w) && e.side.dataset === w.dataset))
        throw new UsageError(`${formatSide(w)} is not a snapshots: entry of ${loaded.path}`);
    }
    entries = entries.filter((e) => wanted.some((w) => sameHost(e.side, w) && e.side.dataset === w.dataset));
  }
  const ssh = resolveSsh(loaded, stateDir);
  return entries.map((e) => ({
    side: e.side,
    recursive: e.recursive,
    exclude: e.exclude,
    policy: e.policy,
    hooks: e.hooks.pre || e.hooks.post ? e.hooks : null,
    ssh,
    replicaTargets: replicaTargets(jobs, e.side),
    pruneAfter: false,
  }));
};

/** The drop-in's one-label policy, from its arguments (usage errors before any I/O). */
const dropInPolicy = (args: readonly string[], opts: SnapshotCliOptions): Policy => {
  const label = opts.label as string;
  if (!isValidId(label)) throw new UsageError(`invalid --label '${label}': letters, digits, '.' and '-' (no '_')`);
  if (args.length === 0) throw new UsageError("the drop-in needs DATASET... or '//' (every pool)");
  if (args.includes('//') && args.length > 1) throw new UsageError("'//' must be the only dataset argument");
  for (const a of args) if (a !== '//') parseSide(a, 'dataset');
  const every = opts.every ?? 60;
  if (every % 60 !== 0 || 1440 % (every / 60) !== 0) throw new UsageError(`--every: whole minutes that divide a day (1m, 5m, 15m, 1h ...), got ${every}s`);
  const names = opts.pruneNames ?? ['zfailover'];
  const bad = names.find((n) => !(NAME_FAMILIES as readonly string[]).includes(n));
  if (bad !== undefined) throw new UsageError(`--prune-names: '${bad}' is not one of ${NAME_FAMILIES.join(', ')}`);
  // Without --keep nothing is pruned; the schedule still needs a count for "due".
  return makePolicy({
    schedules: [{ label, period: { kind: 'minutes', every: every / 60, offset: 0 }, keep: opts.keep ?? 1_000_000, aliases: [] }],
    prune: names as NameFamily[],
  });
};

const adhocUnits = async (
  args: readonly string[],
  opts: SnapshotCliOptions,
  policy: Policy,
  loaded: LoadedConfig,
  jobs: readonly JobSpec[],
  stateDir: string,
  runners: RunnerPool,
): Promise<SnapshotUnit[]> => {
  const ssh = resolveSsh(loaded.path ? loaded : null, stateDir);
  let sides: { side: Side; recursive: boolean }[];
  if (args[0] === '//') {
    const runner = runners.runner(null, ssh);
    const pools = await poolList(runner, await runners.capabilities(runner));
    // zfs-auto-snapshot skips pools that cannot take a snapshot.
    sides = pools.filter((p) => p.health === 'ONLINE' || p.health === 'DEGRADED').map((p) => ({ side: { host: null, dataset: p.name }, recursive: true }));
  } else {
    sides = args.map((a) => ({ side: parseSide(a, 'dataset'), recursive: opts.recursive === true }));
  }
  return sides.map(({ side, recursive }) => ({
    side,
    recursive,
    exclude: opts.exclude ?? [],
    policy,
    hooks: null,
    ssh,
    replicaTargets: replicaTargets(jobs, side),
    pruneAfter: opts.keep !== undefined,
    peersFor: async (info) => statePeers(jobs, stateDir, { ...side, dataset: info.name }, info.versions),
  }));
};

/** The drop-in does not list targets: it protects the newest common snapshot each job state remembers. */
const statePeers = async (jobs: readonly JobSpec[], stateDir: string, side: Side, versions: Parameters<typeof rememberedCommon>[2]): Promise<Peer[]> => {
  const peers: Peer[] = [];
  for (const job of jobs) {
    const rel = relativeInJob(job, side);
    if (rel === null) continue;
    const state = await readJobState(stateDir, job.id).catch(() => undefined);
    for (const t of job.targets) {
      if (state === undefined) {
        peers.push({ name: `${job.id}/${t.id}`, state: 'unknown', why: `job state of ${job.id} is unreadable` });
        continue;
      }
      const v = rememberedCommon(state?.targets[t.id]?.common, rel, versions);
      peers.push({ name: `${job.id}/${t.id}`, state: 'known', commonGuid: v?.guid ?? null, ...rememberedInFlight(state?.targets[t.id], rel) });
    }
  }
  return peers;
};
