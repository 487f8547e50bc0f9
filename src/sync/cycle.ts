// One replication cycle of one job: lock -> source (snapshot, list) -> each target (list, plan, transfer,
// confirm, cursor) -> cleanup of superseded sync snapshots -> state file -> unlock. docs/design.md §4.3.
import { existsSync } from 'node:fs';
import { timerMs } from '../core/duration.js';
import type { JobCommands } from './invocation.js';
import type { Logger } from 'pino';
import type { Listing } from '../core/dataset.js';
import { PROP_EPOCH, PROP_ROLE } from '../core/names.js';
import { oneLine, type ErrorKind } from '../errors.js';
import { stateForError, worstState } from '../outcome.js';
import { formatSide } from '../zfs/side.js';
import { acquireLock, type Lock } from '../state/lock.js';
import type { JobSpec } from './job.js';
import { ensureInstallationId, newInstallationId, readInstallationId } from '../state/installation.js';
import type { PhaseHook } from './phases.js';
import type { PoolCapsCache } from './pool-caps.js';
import { heldNote, type JobReport, type TargetReport } from './report.js';
import { prepareSource, type SourceView } from './source.js';
import { syncTarget, type TargetOutcome } from './target.js';
import { recordInFlight, recordJobState, recordedTargets } from './job-state.js';
import { cleanupSyncSnapshots } from './cleanup.js';
import type { EndpointPool } from './endpoint.js';
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
  /** Where the sides are reached: a RunnerPool (real zfs), or the in-memory model in tests (sync/endpoint.ts). */
  readonly runners: EndpointPool;
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
  /** target id -> datasets whose transfer failed with an unreadable result (their write-ahead record stays). */
  unsure: Map<string, ReadonlySet<string>>;
}

export const runCycle = async (spec: JobSpec, env: CycleEnv): Promise<JobReport> => {
  const startedAt = env.now();
  const base = { job: spec.id, source: formatSide(spec.source), dryRun: env.dryRun, startedAt, snapshot: null, targets: [], destroyed: [], notes: [] };
  let lock: Lock | null = null;
  let job = spec;
  try {
    if (!env.dryRun) lock = env.heldLock ?? (await acquireLock(env.stateDir, job.id, { nowMs: startedAt }));
    job = withInstallation(spec, env);
  } catch (e) {
    await (env.heldLock ? undefined : lock?.release());
    return { ...base, state: stateForError(e), finishedAt: env.now(), error: errorOf(e) };
  }
  const deadline = job.deadline === null ? null : deadlineSignal(env.signal, timerMs(job.deadline * 1000));
  const signal = deadline?.signal ?? env.signal;
  try {
    if (lock) await env.phase?.('locked');
    const seen: Seen = { targetRoots: new Map(), unsure: new Map() };
    const report = await cycleBody(job, env, signal, lock, startedAt, seen);
    if (!env.dryRun) {
      const state = await recordJobState(env.stateDir, job, report, env.log, seen.unsure);
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
          families: (counters) =>
            syncFamilies({
              job,
              state,
              report,
              counters,
              ...(seen.source ? { source: seen.source } : {}),
              ...(seen.sourceRole ? { sourceRoot: seen.sourceRole } : {}),
              targetRoots: seen.targetRoots,
              now: env.now(),
              settings,
            }),
        });
      }
    }
    return report;
  } finally {
    deadline?.clear();
    if (!env.heldLock) await lock?.release();
  }
};

/**
 * The job with the installation identity its names carry: the config's, else the state dir's, created on the
 * first real run. A dry run creates nothing: it shows the names with the recorded identity or a fresh one.
 */
const withInstallation = (job: JobSpec, env: CycleEnv): JobSpec => {
  if (job.installation !== undefined) return job;
  const installation = env.dryRun ? (readInstallationId(env.stateDir) ?? newInstallationId()) : ensureInstallationId(env.stateDir);
  return { ...job, installation };
};

const cycleBody = async (job: JobSpec, env: CycleEnv, signal: AbortSignal, lock: Lock | null, startedAt: number, seen: Seen): Promise<JobReport> => {
  const base = { job: job.id, source: formatSide(job.source), dryRun: env.dryRun, startedAt };
  // Pid records are written in order, and a phase after a transfer waits for them: a fault injected there must
  // not cut the lock's atomic write (it left a temp file in locks/ when the kill came first on a busy machine).
  // With parallel transfers several pipelines run at once: the lock records all that are alive, so the next run
  // can kill every orphan of a killed one (a pid that exited is dropped: /proc no longer has it).
  let recording: Promise<void> = Promise.resolve();
  const live = new Set<number>();
  const onSpawn = (pids: number[]): void => {
    if (!lock) return;
    for (const pid of pids) live.add(pid);
    for (const pid of live) if (!existsSync(`/proc/${pid}`)) live.delete(pid);
    const alive = [...live];
    recording = recording
      .then(() => lock.recordPids(alive))
      .then(() => env.phase?.('stream-running'))
      .catch((e: unknown) => env.log.warn({ err: e }, 'could not record child pids in the lock'));
  };
  const hook = env.phase;
  const phase: PhaseHook | undefined = hook
    ? async (p) => {
        await recording;
        await hook(p);
      }
    : undefined;
  let source: SourceView;
  try {
    const endpoint = env.runners.endpoint(job.source.host, job.ssh);
    const caps = await endpoint.capabilities();
    source = await prepareSource(job, endpoint, caps, { now: env.now(), dryRun: env.dryRun, signal });
  } catch (e) {
    return { ...base, state: stateForError(e), finishedAt: env.now(), snapshot: null, targets: [], destroyed: [], notes: [], error: errorOf(e) };
  }
  env.log.info({ snapshot: source.snapshot, datasets: source.listing.datasets.size }, 'source ready');
  seen.source = source.listing;
  if (!env.dryRun) await phase?.('source-ready');
  const sourceRoot = source.listing.datasets.get(job.source.dataset);
  if (sourceRoot && !env.dryRun) {
    const update = sourceRoleUpdate(sourceRoot);
    // The metrics report the role as it is after this update (a first run marks the source primary).
    if (await applyRoleUpdate(source.endpoint, source.caps, sourceRoot.name, update, env.log)) seen.sourceRole = rolesAfter(sourceRoot, update);
  }

  const outcomes: TargetOutcome[] = [];
  const pools: PoolCapsCache = new Map();
  for (const target of job.targets) {
    const endpoint = env.runners.endpoint(target.side.host, job.ssh);
    let outcome: TargetOutcome;
    try {
      const caps = await endpoint.capabilities();
      outcome = await syncTarget({
        job,
        target,
        source,
        endpoint,
        endpoints: env.runners,
        caps,
        now: env.now(),
        dryRun: env.dryRun,
        signal,
        log: env.log,
        onSpawn,
        commands: env.commands,
        ...(env.progress ? { progress: env.progress } : {}),
        ...(phase ? { phase } : {}),
        pools,
        writeAhead: (rel, snapshots) => recordInFlight(env.stateDir, job.id, target.id, rel, snapshots),
      });
    } catch (e) {
      outcome = { report: unreachable(target.id, formatSide(target.side), e), versions: null, commons: new Map() };
    }
    env.log.info({ target: target.id, state: outcome.report.state }, 'target done');
    if (outcome.listing) seen.targetRoots.set(target.id, outcome.listing.datasets.get(target.side.dataset) ?? null);
    if (outcome.unsure) seen.unsure.set(target.id, outcome.unsure);
    if (!env.dryRun) await phase?.('target-done');
    outcomes.push(outcome);
  }

  const cleaned = env.dryRun
    ? { destroyed: [], held: [] }
    : await cleanupSyncSnapshots(job, env.runners, env.log, source, outcomes, await recordedTargets(env.stateDir, job.id));
  if (!env.dryRun) await phase?.('cleaned');
  const targets = outcomes.map((o) => o.report);
  const notes = [
    ...(signal.aborted && !env.signal.aborted ? [`deadline of ${job.deadline}s reached; the next run resumes`] : []),
    ...(cleaned.held.length > 0 ? [heldNote(cleaned.held)] : []),
  ];
  return {
    ...base,
    state: worstState(targets.map((t) => t.state)),
    finishedAt: env.now(),
    snapshot: source.snapshot,
    targets,
    destroyed: cleaned.destroyed,
    notes,
    // The source root's epoch as this cycle leaves it (an unmarked root is the primary of epoch 0): alerts carry it.
    ...(sourceRoot ? { epoch: (seen.sourceRole ?? sourceRoot).epoch ?? 0 } : {}),
  };
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
  error: { ...errorOf(e), message: oneLine(e) },
});
