// After a cycle's targets: destroy this job's superseded sync snapshots on the source and on each reachable
// target. Three pieces: the hold counts as they are after this cycle, the plan per dataset (pure: which target
// shares what, core/cleanup.ts decides), and the destroy calls (batched, recursive where a tree listing allows).
import type { Logger } from 'pino';
import { newestCommon } from '../core/common.js';
import { planSyncCleanup, type TargetCursor } from '../core/cleanup.js';
import { joinName, relativeName, type DatasetInfo, type Listing } from '../core/dataset.js';
import { batchDestroys, carriersIn } from '../core/destroy-batch.js';
import { ownCursor, type Owner } from '../core/names.js';
import { compareVersions, type Version } from '../core/versions.js';
import type { EndpointPool, SyncEndpoint } from './endpoint.js';
import { ownerOf, type JobSpec } from './job.js';
import type { RecordedTarget } from './job-state.js';
import type { SourceView } from './source.js';
import type { TargetOutcome } from './target-context.js';

/** What to destroy: source dataset -> short names; target id -> target dataset -> short names. */
export interface CleanupWork {
  readonly source: Map<string, string[]>;
  readonly targets: Map<string, Map<string, string[]>>;
  /** Full names of superseded sync snapshots kept only because they are held (source and targets). */
  readonly held: string[];
}

/** Source hold counts after this cycle's hold moves (the listing predates them): full name -> delta. */
export const holdDeltas = (outcomes: readonly TargetOutcome[]): Map<string, number> => {
  const delta = new Map<string, number>();
  for (const o of outcomes) {
    for (const n of o.sourceHolds?.held ?? []) delta.set(n, (delta.get(n) ?? 0) + 1);
    for (const n of o.sourceHolds?.released ?? []) delta.set(n, (delta.get(n) ?? 0) - 1);
  }
  return delta;
};

const withHolds = (ds: DatasetInfo, delta: ReadonlyMap<string, number>): DatasetInfo => ({
  ...ds,
  versions: ds.versions.map((v) => {
    const d = delta.get(`${ds.name}@${v.name}`);
    return d === undefined ? v : { ...v, userrefs: Math.max(0, (v.userrefs ?? 0) + d) };
  }),
});

/**
 * One target's common point for one source dataset. This cycle's answer first; for a target that could not be
 * listed, its cursor bookmark (OpenZFS) or the job state file, plus the write-ahead record of snapshots sent to
 * it that no run read back (either may be what it really shares); null when nobody knows (the source keeps all).
 */
export const targetCursor = (
  owner: Owner,
  targetId: string,
  source: readonly Version[],
  outcome: TargetOutcome,
  rel: string,
  recorded: ReadonlyMap<string, RecordedTarget>,
): TargetCursor => {
  // A transfer failed and nobody knows what reached the target: no common point, so the source keeps all.
  if (outcome.unsure?.has(rel)) return { id: targetId, versions: null, commonGuid: null };
  const versions = outcome.versions?.get(rel) ?? (outcome.versions ? [] : null);
  const fromThisCycle = outcome.commons.get(rel);
  if (fromThisCycle !== undefined) return { id: targetId, versions, commonGuid: fromThisCycle };
  if (versions) return { id: targetId, versions, commonGuid: newestCommon(source, versions)?.source.guid ?? null };
  // The newest of our cursors (a legacy one from before the upgrade may still sit beside the new one).
  const bookmark = source
    .filter((v) => v.kind === 'bookmark')
    .sort(compareVersions)
    .map((v) => ownCursor(owner, targetId, v.name))
    .filter((c) => c !== null)
    .pop();
  const record = recorded.get(targetId);
  const commonGuid = bookmark ? bookmark.guid : (record?.commons.get(rel) ?? null);
  // The record's common too when a bookmark answered: a cursor move that failed leaves the bookmark behind it.
  const inFlight = [...(record?.inFlight.get(rel) ?? []), ...(bookmark && record?.commons.has(rel) ? [record.commons.get(rel)!] : [])];
  return { id: targetId, versions, commonGuid, ...(inFlight.length > 0 ? { inFlight } : {}) };
};

/** Pure: what to destroy on every side, given the source listing and each target's outcome (same order as job.targets). */
export const planCleanupWork = (
  job: JobSpec,
  listing: Listing,
  outcomes: readonly TargetOutcome[],
  recorded: ReadonlyMap<string, RecordedTarget>,
): CleanupWork => {
  const owner = ownerOf(job);
  const delta = holdDeltas(outcomes);
  const work: CleanupWork = { source: new Map(), targets: new Map(), held: [] };
  // A dataset in conflict is left exactly as it is for the operator's decision (rollback or demote).
  const conflicted = new Set(
    outcomes.flatMap((o) => o.report.datasets.filter((d) => d.outcome === 'conflict' || d.conflict !== undefined).map((d) => d.target)),
  );
  for (const listed of listing.datasets.values()) {
    const rel = relativeName(listing.root, listed.name);
    if (rel === null) continue;
    const ds = withHolds(listed, delta);
    const cursors = job.targets.map((t, i) => targetCursor(owner, t.id, ds.versions, outcomes[i]!, rel, recorded));
    const plan = planSyncCleanup(owner, ds.versions, cursors);
    /** This dataset's counterpart on target `id`. */
    const onTarget = (id: string): string => joinName(job.targets.find((x) => x.id === id)!.side.dataset, rel);
    work.held.push(...plan.held.source.map((v) => `${ds.name}@${v.name}`));
    for (const [id, vs] of plan.held.targets) work.held.push(...vs.map((v) => `${onTarget(id)}@${v.name}`));
    if (plan.source.length > 0)
      work.source.set(
        ds.name,
        plan.source.map((v) => v.name),
      );
    for (const [id, vs] of plan.targets) {
      const name = onTarget(id);
      if (conflicted.has(name)) continue;
      const perDataset = work.targets.get(id) ?? work.targets.set(id, new Map()).get(id)!;
      perDataset.set(
        name,
        vs.map((v) => v.name),
      );
    }
  }
  return work;
};

type Snapshots = Iterable<readonly [string, readonly Version[]]>;

/**
 * Which datasets carry a snapshot name, for recursive destroys; null when the listing is not complete below its
 * root (only a recursive job's tree listings are). `also`: versions that arrived after the listing.
 */
export const carriersOf = (job: JobSpec, listing: Listing | undefined, also: Snapshots = []): ((name: string) => string[]) | null => {
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

/** Destroy `what` on one endpoint; returns what is gone. A failure is logged and retried next cycle. */
export const destroyOn = async (
  endpoint: SyncEndpoint,
  what: ReadonlyMap<string, readonly string[]>,
  carriers: ((name: string) => string[]) | null,
  log: Logger,
): Promise<string[]> => {
  const destroyed: string[] = [];
  const caps = await endpoint.capabilities();
  const where = endpoint.label === 'local' ? '' : `${endpoint.label}:`;
  const perDataset = async (dataset: string, names: readonly string[]): Promise<void> => {
    try {
      await endpoint.destroySnapshots(caps, dataset, names);
      destroyed.push(...names.map((n) => `${where}${dataset}@${n}`));
    } catch (e) {
      log.warn({ err: e, dataset }, 'destroying superseded sync snapshots failed; retried next cycle');
    }
  };
  for (const call of batchDestroys(what, carriers)) {
    if (!call.recursive) {
      await perDataset(call.dataset, call.names);
      continue;
    }
    const name = call.names[0]!;
    try {
      await endpoint.destroySnapshotRecursive(call.dataset, name);
      destroyed.push(...call.covers.map((d) => `${where}${d}@${name}`));
    } catch (e) {
      // A hold or a snapshot that appeared since the listing: fall back to one call per dataset, which
      // treats "already gone" as done and names what is held.
      log.info({ err: e, dataset: call.dataset, snapshot: name }, 'recursive destroy refused; destroying per dataset');
      for (const d of call.covers) await perDataset(d, [name]);
    }
  }
  return destroyed;
};

/** Plan and run the cleanup: targets first, the source last. Returns the full names destroyed. */
export const cleanupSyncSnapshots = async (
  job: JobSpec,
  endpoints: EndpointPool,
  log: Logger,
  source: SourceView,
  outcomes: readonly TargetOutcome[],
  recorded: ReadonlyMap<string, RecordedTarget>,
): Promise<{ destroyed: string[]; held: string[] }> => {
  const work = planCleanupWork(job, source.listing, outcomes, recorded);
  if (work.held.length > 0) log.info({ held: work.held }, 'superseded sync snapshots kept: they are held (zfs holds)');
  const destroyed: string[] = [];
  for (const [id, what] of work.targets) {
    const i = job.targets.findIndex((x) => x.id === id);
    const t = job.targets[i]!;
    const o = outcomes[i]!;
    // The listing predates this cycle's receives: what the target holds after them counts too.
    const after = [...(o.versions ?? [])].map(([rel, vs]) => [joinName(t.side.dataset, rel), vs] as const);
    destroyed.push(...(await destroyOn(endpoints.endpoint(t.side.host, job.ssh), what, carriersOf(job, o.listing, after), log)));
  }
  destroyed.push(...(await destroyOn(source.endpoint, work.source, carriersOf(job, source.listing), log)));
  return { destroyed, held: work.held };
};
