// The replication cursors prune must respect, per dataset: for a source dataset, each target of every job that
// replicates it (the newest common snapshot by GUID, and what the target still lacks); for a target dataset,
// its source. From fresh listings when the other side answered, else from the job state file, else unknown
// (and then nothing is destroyed).
import type { DatasetInfo, Listing } from '../../core/dataset.js';
import { joinName, relativeName } from '../../core/dataset.js';
import { newestCommon } from '../../core/common.js';
import type { Policy } from '../../core/retention/policy.js';
import type { Peer } from '../../core/retention/prune.js';
import { snapshotsOf, type Version } from '../../core/versions.js';
import type { CommonSnapshot, TargetState } from '../../state/job-state.js';
import type { JobSpec } from '../../config/job-spec.js';
import { formatSide, type Side } from '../../zfs/side.js';
import { sameHost } from '../../config/job-checks.js';

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);

/** What a listing attempt of one side gave: the listing, or why there is none. */
export type SideView = { readonly ok: true; readonly listing: Listing } | { readonly ok: false; readonly why: string };

/** Path of `side.dataset` inside the job's source tree, or null when the job does not replicate it. */
export const relativeInJob = (job: JobSpec, side: Side): string | null => {
  if (!sameHost(job.source, side)) return null;
  const rel = relativeName(job.source.dataset, side.dataset);
  if (rel === null || (rel !== '' && !job.recursive)) return null;
  if (job.exclude.some((x) => within(x, side.dataset))) return null;
  return rel;
};

/**
 * The common point remembered in the job state, located on `versions` of one side: by GUID on the job's root
 * (the state records the root's common snapshot), by name on children (a recursive job snapshots the whole
 * tree under one name). Null when the state knows nothing or the snapshot is not on this dataset.
 */
export const rememberedCommon = (common: CommonSnapshot | null | undefined, rel: string, versions: readonly Version[]): Version | null => {
  if (!common) return null;
  const snaps = snapshotsOf(versions);
  return (rel === '' ? snaps.find((v) => v.guid === common.guid) : snaps.find((v) => v.name === common.name)) ?? null;
};

/** The write-ahead record of a target for one dataset path: GUIDs sent there that no run read back (design §4.3.1). */
export const rememberedInFlight = (target: TargetState | undefined, rel: string): { maybeCommon?: readonly string[] } => {
  const guids = (target?.inFlight?.[rel] ?? []).map((v) => v.guid);
  return guids.length > 0 ? { maybeCommon: guids } : {};
};

export interface SourcePeerInput {
  readonly job: JobSpec;
  readonly targetIndex: number;
  /** Relative path of the dataset in the job tree. */
  readonly rel: string;
  readonly source: DatasetInfo;
  readonly targetView: SideView;
  /** The target's newest common snapshot from the job state (the root's). */
  readonly stateCommon: CommonSnapshot | null | undefined;
  /** The target's record in the job state, for what a run may have sent past that common snapshot. */
  readonly stateTarget?: TargetState | undefined;
  readonly targetPolicy: Policy | null;
}

/** One target, seen from a source dataset it receives. */
export const sourcePeer = (i: SourcePeerInput): Peer => {
  const target = i.job.targets[i.targetIndex];
  const name = `${i.job.id}/${target?.id ?? i.targetIndex}`;
  if (!target) return { name, state: 'unknown', why: 'no such target' };
  const targetName = joinName(target.side.dataset, i.rel);
  if (i.targetView.ok) {
    const t = i.targetView.listing.datasets.get(targetName);
    if (!t) {
      // The root vanished although the state says it had a common snapshot: the listing is not to be trusted.
      if (i.rel === '' && i.stateCommon)
        return { name, state: 'unknown', why: `${formatSide({ ...target.side, dataset: targetName })} is missing but the job state has a common snapshot` };
      return { name, state: 'known', commonGuid: null, target: { afterTxg: null, snapshots: [], policy: i.targetPolicy } };
    }
    const common = newestCommon(i.source.versions, t.versions);
    return {
      name,
      state: 'known',
      commonGuid: common?.source.guid ?? null,
      target: { afterTxg: common?.source.createtxg ?? null, snapshots: snapshotsOf(t.versions), policy: i.targetPolicy },
    };
  }
  const remembered = rememberedCommon(i.stateCommon, i.rel, i.source.versions);
  if (!remembered) return { name, state: 'unknown', why: `${i.targetView.why}, and the job state knows no common snapshot here` };
  return {
    name,
    state: 'known',
    commonGuid: remembered.guid,
    ...rememberedInFlight(i.stateTarget, i.rel),
    target: { afterTxg: remembered.createtxg, snapshots: [], policy: i.targetPolicy },
  };
};

export interface TargetPeerInput {
  readonly job: JobSpec;
  readonly rel: string;
  readonly target: DatasetInfo;
  readonly sourceView: SideView;
  readonly stateCommon: CommonSnapshot | null | undefined;
  readonly stateTarget?: TargetState | undefined;
}

/** The source, seen from one of its target datasets. */
export const targetPeer = (i: TargetPeerInput): Peer => {
  const name = `${i.job.id}/source`;
  const sourceName = joinName(i.job.source.dataset, i.rel);
  if (i.sourceView.ok) {
    const s = i.sourceView.listing.datasets.get(sourceName);
    // The replica may now be the only copy: never thin it while its source is gone.
    if (!s) return { name, state: 'unknown', why: `source ${formatSide({ ...i.job.source, dataset: sourceName })} does not exist` };
    const common = newestCommon(s.versions, i.target.versions);
    return { name, state: 'known', commonGuid: common?.target.guid ?? null };
  }
  const remembered = rememberedCommon(i.stateCommon, i.rel, i.target.versions);
  if (!remembered) return { name, state: 'unknown', why: `${i.sourceView.why}, and the job state knows no common snapshot here` };
  return { name, state: 'known', commonGuid: remembered.guid, ...rememberedInFlight(i.stateTarget, i.rel) };
};
