// One replication cycle of one job: lock -> source (snapshot, list) -> each target (list, plan, transfer,
// confirm, cursor) -> cleanup of superseded sync snapshots -> state file -> unlock. docs/design.md §4.3.
import { existsSync } from 'node:fs';
import { timerMs } from '../core/duration.js';
import type { JobCommands } from './invocation.js';
import type { Logger } from 'pino';
import { newestCommon } from '../core/common.js';
import { planSyncCleanup, type TargetCursor } from '../core/cleanup.js';
import { joinName, relativeName, type Listing } from '../core/dataset.js';
import { batchDestroys, carriersIn } from '../core/destroy-batch.js';
import { parseCursorBookmarkName, PROP_EPOCH, PROP_ROLE } from '../core/names.js';
import type { Version } from '../core/versions.js';
import { oneLine, type ErrorKind } from '../errors.js';
import { stateForError, worstState } from '../cli/exit.js';
import { destroySnapshotRecursive, destroySnapshots } from '../zfs/commands.js';
import { formatSide } from '../zfs/side.js';
import type { Runner } from '../zfs/types.js';
import { acquireLock, type Lock } from '../state/lock.js';
import type { JobSpec } from './job.js';
import type { PhaseHook } from './phases.js';
import type { PoolCapsCache } from './pool-caps.js';
import type { JobReport, TargetReport } from './report.js';
import type { RunnerPool } from './runners.js';
import { prepareSource, type SourceView } from './source.js';
import { syncTarget, type TargetOutcome } from './target.js';
import { recordJobState, recordedCommons } from './job-state.js';
import { publishRunMetrics } from '../state/metrics.js';
import type { DatasetInfo } from '../core/dataset.js';
import { syncFamilies, type SyncMetricsSettings } from './metrics.js';
import { applyRoleUpdate, sourceRoleUpdate } from './roles.js';
import { deadlineSignal } from './deadline.js';

export interface CycleEnv {
  readonly stateDir: string;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly runners: RunnerPool;
  readonly dryRun: boolean;
  /** How this job is invoked, for the commands suggested in conflict messages (sync/invocation.ts). */
  readonly commands: JobCommands;
  /** The job's lock, already held by the caller (promote's final sync): used, not acquired or released. */
  readonly heldLock?: Lock;
  /** Shows transfer progress to a person at a terminal (undefined otherwise). */
  readonly progress?: (line: string) => void;
  /** Fault-injection seam (sync/phases.ts): called at each named phase; absent in production. */
  readonly phase?: PhaseHook;
  /** Where the node_exporter textfile goes (`metrics.textfile_dir`) and what else it says; undefined = metrics off. */
  readonly metrics?: SyncMetricsSettings;
}

/** What the cycle saw besides its report, for the metrics: the source listing and each target's root. */
interface Seen {
  source?: Listing;
  /** The source root's role and epoch after this cycle's role update. */
  sourceRole?: DatasetInfo;
  targetRoots: Map<string, DatasetInfo | null>;
}

export const runCycle = async (job: JobSpec, env: CycleEnv): Promise<JobReport> => {
  const startedAt = env.now();
  const base = { job: job.id, source: formatSide(job.source), dryRun: env.dryRun, startedAt, snapshot: null, targets: [], destroyed: [], notes: [] };
  let lock: Lock | null = null;
  try {
    if (!env.dryRun) lock = env.heldLock ?? (await acquireLock(env.stateDir, job.id, { nowMs: startedAt }));
  } catch (e) {
    return { ...base, state: stateForError(e), finishedAt: env.now(), error: errorOf(e) };
  }
  const deadline = job.deadline === null ? null : deadlineSignal(env.signal, timerMs(job.deadline * 1000));
  const signal = deadline?.signal ?? env.signal;
  try {
    if (lock) await env.phase?.('locked');
    const seen: Seen = { targetRoots: new Map() };
    const report = await cycleBody(job, env, signal, lock, startedAt, seen);
    if (!env.dryRun) {
      const state = await recordJobState(env.stateDir, job, report, env.log);
      await env.phase?.('state-written');
      if (state && env.metrics) {
        const settings = env.metrics;
        const bytes = Object.fromEntries(report.targets.map((t) => [t.id, t.datasets.reduce((s, d) => s + d.bytes, 0)]));
        await publishRunMetrics({
          textfileDir: settings.textfileDir,
          stateDir: env.stateDir,
          command: 'sync',
          job: job.id,
          state: report.state,
          finishedAt: report.finishedAt,
          bytes,
          log: env.log,
          families: (counters) => syncFamilies({ job, state, report, counters, ...(seen.source ? { source: seen.source } : {}), ...(seen.sourceRole ? { sourceRoot: seen.sourceRole } : {}), targetRoots: seen.targetRoots, now: env.now(), settings }),
        });
      }
    }
    return report;
  } finally {
    deadline?.clear();
    if (!env.heldLock) await lock?.release();
  }
};

const cycleBody = async (job: JobSpec, env: CycleEnv, signal: AbortSignal, lock: Lock | null, startedAt: number, seen: Seen): Promise<JobReport> => {
  const base = { job: job.id, source: formatSide(job.source), dryRun: env.dryRun, startedAt };
  // With parallel transfers several pipelines run at once: the lock records all that are alive, so the next run
  // can kill every orphan of a killed one (a pid that exited is dropped: /proc no longer has it).
  const live = new Set<number>();
  const onSpawn = (pids: number[]): void => {
    for (const pid of pids) live.add(pid);
    for (const pid of live) if (!existsSync(`/proc/${pid}`)) live.delete(pid);
    lock
      ?.recordPids([...live])
      .then(() => env.phase?.('stream-running'))
      .catch((e: unknown) => env.log.warn({ err: e }, 'could not record child pids in the lock'));
  };
  let source: SourceView;
  try {
    const runner = env.runners.runner(job.source.host, job.ssh);
    const caps = await env.runners.capabilities(runner);
    source = await prepareSource(job, runner, caps, { now: env.now(), dryRun: env.dryRun, signal });
  } catch (e) {
    return { ...base, state: stateForError(e), finishedAt: env.now(), snapshot: null, targets: [], destroyed: [], notes: [], error: errorOf(e) };
  }
  env.log.info({ snapshot: source.snapshot, datasets: source.listing.datasets.size }, 'source ready');
  seen.source = source.listing;
  if (!env.dryRun) await env.phase?.('source-ready');
  const sourceRoot = source.listing.datasets.get(job.source.dataset);
  if (sourceRoot && !env.dryRun) {
    const update = sourceRoleUpdate(sourceRoot);
    // The metrics report the role as it is after this update (a first run marks the source primary).
    if (await applyRoleUpdate(source.runner, source.caps, sourceRoot.name, update, env.log)) seen.sourceRole = rolesAfter(sourceRoot, update);
  }

  const outcomes: TargetOutcome[] = [];
  const pools: PoolCapsCache = new Map();
  for (const target of job.targets) {
    const runner = env.runners.runner(target.side.host, job.ssh);
    let outcome: TargetOutcome;
    try {
      const caps = await env.runners.capabilities(runner);
      outcome = await syncTarget({
        job,
        target,
        source,
        runner,
        caps,
        now: env.now(),
        dryRun: env.dryRun,
        signal,
        log: env.log,
        onSpawn,
        commands: env.commands,
        ...(env.progress ? { progress: env.progress } : {}),
        ...(env.phase ? { phase: env.phase } : {}),
        pools,
      });
    } catch (e) {
      outcome = { report: unreachable(target.id, formatSide(target.side), e), versions: null, commons: new Map() };
    }
    env.log.info({ target: target.id, state: outcome.report.state }, 'target done');
    if (outcome.listing) seen.targetRoots.set(target.id, outcome.listing.datasets.get(target.side.dataset) ?? null);
    if (!env.dryRun) await env.phase?.('target-done');
    outcomes.push(outcome);
  }

  const destroyed = env.dryRun ? [] : await cleanupSyncSnapshots(job, env, source, outcomes);
  if (!env.dryRun) await env.phase?.('cleaned');
  const targets = outcomes.map((o) => o.report);
  const notes = signal.aborted && !env.signal.aborted ? [`deadline of ${job.deadline}s reached; the next run resumes`] : [];
  return {
    ...base,
    state: worstState(targets.map((t) => t.state)),
    finishedAt: env.now(),
    snapshot: source.snapshot,
    targets,
    destroyed,
    notes,
  };
};

/**
 * Destroys this job's superseded sync snapshots on the source and on each reachable target. For a target that
 * could not be listed, its common point comes from its cursor bookmark (OpenZFS) or the job state file; when
 * neither knows it, nothing is destroyed on the source (core/cleanup.ts).
 */
const cleanupSyncSnapshots = async (job: JobSpec, env: CycleEnv, source: SourceView, outcomes: readonly TargetOutcome[]): Promise<string[]> => {
  const recorded = await recordedCommons(env.stateDir, job.id);
  const destroyed: string[] = [];
  const perTarget = new Map<string, Map<string, string[]>>(); // target id -> dataset -> short names
  const perSource = new Map<string, string[]>();
  // Hold counts as they are after this cycle's hold moves (the listing predates them).
  const delta = new Map<string, number>();
  for (const o of outcomes) {
    for (const n of o.sourceHolds?.held ?? []) delta.set(n, (delta.get(n) ?? 0) + 1);
    for (const n of o.sourceHolds?.released ?? []) delta.set(n, (delta.get(n) ?? 0) - 1);
  }
  for (const listed of source.listing.datasets.values()) {
    const ds = { ...listed, versions: listed.versions.map((v) => (delta.has(`${listed.name}@${v.name}`) ? { ...v, userrefs: Math.max(0, (v.userrefs ?? 0) + delta.get(`${listed.name}@${v.name}`)!) } : v)) };
    const rel = relativeName(source.listing.root, ds.name);
    if (rel === null) continue;
    const cursors: TargetCursor[] = job.targets.map((t, i) => {
      const o = outcomes[i]!;
      const versions = o.versions?.get(rel) ?? (o.versions ? [] : null);
      const bookmark = ds.versions.find((v) => {
        const c = v.kind === 'bookmark' ? parseCursorBookmarkName(v.name) : null;
        return c !== null && c.job === job.id && c.target === t.id;
      });
      const commonGuid = o.commons.get(rel) ?? (versions ? (newestCommon(ds.versions, versions)?.source.guid ?? null) : (bookmark ? parseCursorBookmarkName(bookmark.name)!.guid : (recorded.get(t.id)?.get(rel) ?? null)));
      return { id: t.id, versions, commonGuid };
    });
    const plan = planSyncCleanup(job.id, ds.versions, cursors);
    if (plan.source.length > 0) perSource.set(ds.name, plan.source.map((v) => v.name));
    for (const [id, vs] of plan.targets) {
      const t = job.targets.find((x) => x.id === id)!;
      const name = rel === '' ? t.side.dataset : `${t.side.dataset}/${rel}`;
      if (!perTarget.has(id)) perTarget.set(id, new Map());
      perTarget.get(id)!.set(name, vs.map((v) => v.name));
    }
  }
  const destroyOn = async (runner: Runner, what: Map<string, string[]>, carriers: ((name: string) => string[]) | null): Promise<void> => {
    const caps = await env.runners.capabilities(runner);
    const where = runner.label === 'local' ? '' : `${runner.label}:`;
    const perDataset = async (dataset: string, names: readonly string[]): Promise<void> => {
      try {
        await destroySnapshots(runner, caps, dataset, names);
        destroyed.push(...names.map((n) => `${where}${dataset}@${n}`));
      } catch (e) {
        env.log.warn({ err: e, dataset }, 'destroying superseded sync snapshots failed; retried next cycle');
      }
    };
    for (const call of batchDestroys(what, carriers)) {
      if (!call.recursive) {
        await perDataset(call.dataset, call.names);
        continue;
      }
      const name = call.names[0]!;
      try {
        await destroySnapshotRecursive(runner, call.dataset, name);
        destroyed.push(...call.covers.map((d) => `${where}${d}@${name}`));
      } catch (e) {
        // A hold or a snapshot that appeared since the listing: fall back to one call per dataset, which
        // treats "already gone" as done and names what is held.
        env.log.info({ err: e, dataset: call.dataset, snapshot: name }, 'recursive destroy refused; destroying per dataset');
        for (const d of call.covers) await perDataset(d, [name]);
      }
    }
  };
  // A recursive destroy needs a listing complete below the roots: only a recursive job's tree listings are.
  type Snapshots = Iterable<readonly [string, readonly Version[]]>;
  const carriersOf = (listing: Listing | undefined, also: Snapshots = []): ((name: string) => string[]) | null => {
    if (!job.recursive || listing === undefined) return null;
    const names = new Map<string, Set<string>>();
    const add = (ds: string, vs: readonly Version[]): void => {
      const set = names.get(ds) ?? names.set(ds, new Set()).get(ds)!;
      for (const v of vs) if (v.kind === 'snapshot') set.add(v.name);
    };
    for (const ds of listing.datasets.values()) add(ds.name, ds.versions);
    for (const [ds, vs] of also) add(ds, vs);
    return carriersIn(names);
  };
  for (const [id, what] of perTarget) {
    const i = job.targets.findIndex((x) => x.id === id);
    const t = job.targets[i]!;
    const o = outcomes[i]!;
    // The listing predates this cycle's receives: what the target holds after them counts too.
    const after = [...(o.versions ?? [])].map(([rel, vs]) => [joinName(t.side.dataset, rel), vs] as const);
    await destroyOn(env.runners.runner(t.side.host, job.ssh), what, carriersOf(o.listing, after));
  }
  await destroyOn(source.runner, perSource, carriersOf(source.listing));
  return destroyed;
};

const rolesAfter = (info: DatasetInfo, update: Record<string, string> | null): DatasetInfo =>
  update ? { ...info, role: update[PROP_ROLE] === 'primary' ? 'primary' : 'replica', epoch: Number(update[PROP_EPOCH] ?? info.epoch ?? 0) } : info;

const errorOf = (e: unknown): { kind: ErrorKind | 'unknown'; message: string; hint?: string } => {
  const kind = (e as { kind?: ErrorKind }).kind ?? 'unknown';
  const hint = (e as { hint?: unknown }).hint;
  return { kind, message: oneLine(e), ...(typeof hint === 'string' ? { hint } : {}) };
};

const unreachable = (id: string, side: string, e: unknown): TargetReport => ({
  id,
  side,
  state: stateForError(e),
  datasets: [],
  orphans: [],
  destroyed: [],
  error: { ...errorOf(e), message: `${side}: ${oneLine(e)}` },
});
