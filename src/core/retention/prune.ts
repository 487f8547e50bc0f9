// The prune decision for one dataset on one side: what the policy keeps (keep.ts), then what must survive
// regardless — the newest snapshot common with each peer, held snapshots, names prune does not own, snapshots a
// lagging target still needs (up to the pile-up ceiling) — and nothing at all when the input cannot be trusted.
// A pure function of (snapshots, policy, replication cursors, now); the destroy set is a subset of the input.
import { compareVersions, type Version } from '../versions.js';
import { judgeByPolicy, type PolicyReason, type PolicyVerdict } from './keep.js';
import { scheduleFor, type Policy } from './policy.js';
import { periodMinutes } from './schedule.js';

export type Side = 'source' | 'target';

/**
 * The other end of a replication relation, seen from the dataset being pruned.
 * known:   the newest common snapshot's GUID (null: none yet), and for a source, what the target still lacks.
 * unknown: the peer could not be listed and no job state says what it has: nothing may be destroyed.
 */
export type Peer =
  | {
      readonly name: string;
      readonly state: 'known';
      readonly commonGuid: string | null;
      /** GUIDs a sync run started sending to this peer that no run read back (its write-ahead record): any of them may be the real common snapshot, so each is kept like it. */
      readonly maybeCommon?: readonly string[];
      /** Source side only: the target's view, to find the snapshots it still needs. */
      readonly target?: {
        /** createtxg (on the source) of the common point; null = the target has nothing in common yet. */
        readonly afterTxg: number | null;
        /** The target's snapshots (empty when only the job state is known). */
        readonly snapshots: readonly Version[];
        /** The target's keep policy; null = the target never prunes (it needs everything). */
        readonly policy: Policy | null;
      };
    }
  | { readonly name: string; readonly state: 'unknown'; readonly why: string };

export interface PruneInput {
  readonly dataset: string;
  readonly side: Side;
  /** The dataset's snapshots (bookmarks are ignored). */
  readonly snapshots: readonly Version[];
  readonly policy: Policy;
  readonly peers: readonly Peer[];
  readonly now: number;
  /** Destroy nothing, for this reason (listing looks incomplete, ...). */
  readonly freeze?: string;
}

export type ReasonCode =
  | 'policy'
  | 'other-name'
  | 'unknown-label'
  | 'future'
  | 'foreign-name'
  | 'held'
  | 'newest-common'
  | 'needed-by-target'
  | 'frozen'
  | 'beyond-keep'
  | 'duplicate'
  | 'pileup-ceiling';

export interface PruneItem {
  readonly snapshot: Version;
  readonly action: 'keep' | 'destroy';
  readonly code: ReasonCode;
  readonly label: string | null;
  readonly policy: PolicyReason;
  /** Targets this snapshot is protected for (newest-common, needed-by-target). */
  readonly peers: readonly string[];
}

export interface Pileup {
  /** Snapshots the policy would destroy but some target still needs. */
  readonly count: number;
  /** How many of them are kept (at most the ceiling). */
  readonly kept: number;
  readonly ceiling: number;
  readonly exceeded: boolean;
}

export interface PruneDecision {
  readonly dataset: string;
  readonly side: Side;
  /** One item per snapshot, oldest first (createtxg). */
  readonly items: readonly PruneItem[];
  readonly destroy: readonly Version[];
  readonly frozen: string | null;
  readonly pileup: Pileup;
}

export const decidePrune = (input: PruneInput): PruneDecision => {
  const { policy, now } = input;
  const snapshots = input.snapshots.filter((v) => v.kind === 'snapshot').sort(compareVersions);
  const verdicts = judgeByPolicy(snapshots, policy, now);

  const unknown = input.peers.filter((p): p is Extract<Peer, { state: 'unknown' }> => p.state === 'unknown');
  const frozen = input.freeze ?? (unknown.length > 0 ? unknown.map((p) => `${p.name}: ${p.why}`).join('; ') : null);

  const commonFor = new Map<string, string[]>();
  for (const p of input.peers) {
    if (p.state !== 'known') continue;
    for (const g of [...(p.commonGuid !== null ? [p.commonGuid] : []), ...(p.maybeCommon ?? [])]) push(commonFor, g, p.name);
  }
  const neededBy = input.side === 'source' && frozen === null ? neededByTargets(snapshots, input.peers, now) : new Map<string, string[]>();

  // First pass: every reason that keeps a snapshot the policy would let go, except the pile-up allowance.
  const items = new Map<Version, PruneItem>();
  const pileupCandidates: PolicyVerdict[] = [];
  for (const v of verdicts) {
    const label = labelOf(v.reason);
    const base = { snapshot: v.snapshot, label, policy: v.reason, peers: [] as string[] };
    if (v.keep) {
      const code: ReasonCode = v.reason.kind === 'slot' ? 'policy' : (v.reason.kind as ReasonCode);
      items.set(v.snapshot, { ...base, action: 'keep', code });
      continue;
    }
    const common = commonFor.get(v.snapshot.guid);
    if (frozen !== null) items.set(v.snapshot, { ...base, action: 'keep', code: 'frozen' });
    else if (v.name && !policy.prune.includes(v.name.family)) items.set(v.snapshot, { ...base, action: 'keep', code: 'foreign-name' });
    else if ((v.snapshot.userrefs ?? 0) > 0) items.set(v.snapshot, { ...base, action: 'keep', code: 'held' });
    else if (common) items.set(v.snapshot, { ...base, peers: common, action: 'keep', code: 'newest-common' });
    else if (neededBy.has(v.snapshot.guid)) pileupCandidates.push(v);
    else items.set(v.snapshot, { ...base, action: 'destroy', code: v.reason.kind as ReasonCode });
  }

  // Pile-up: keep what lagging targets need, coarsest labels and newest first, up to the ceiling.
  const ranked = [...pileupCandidates].sort((a, b) => coarseness(policy, b) - coarseness(policy, a) || (b.name?.time ?? 0) - (a.name?.time ?? 0));
  ranked.forEach((v, i) => {
    const peers = neededBy.get(v.snapshot.guid) ?? [];
    const base = { snapshot: v.snapshot, label: labelOf(v.reason), policy: v.reason, peers };
    items.set(
      v.snapshot,
      i < policy.pileupCeiling ? { ...base, action: 'keep', code: 'needed-by-target' } : { ...base, action: 'destroy', code: 'pileup-ceiling' },
    );
  });

  const ordered = snapshots.map((v) => items.get(v) as PruneItem);
  return {
    dataset: input.dataset,
    side: input.side,
    items: ordered,
    destroy: ordered.filter((i) => i.action === 'destroy').map((i) => i.snapshot),
    frozen,
    pileup: {
      count: ranked.length,
      kept: Math.min(ranked.length, policy.pileupCeiling),
      ceiling: policy.pileupCeiling,
      exceeded: ranked.length > policy.pileupCeiling,
    },
  };
};

const push = (m: Map<string, string[]>, k: string, v: string): void => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

const labelOf = (r: PolicyReason): string | null => (r.kind === 'other-name' ? null : r.label);

const coarseness = (policy: Policy, v: PolicyVerdict): number => {
  const label = labelOf(v.reason);
  const s = label === null ? undefined : scheduleFor(policy, label);
  return s ? periodMinutes(s.period) : 0;
};

/**
 * Source snapshots newer than a target's common point that the target's own policy would keep once received:
 * destroying them would not break replication, but would silently cut the replica's history.
 */
const neededByTargets = (snapshots: readonly Version[], peers: readonly Peer[], now: number): Map<string, string[]> => {
  const needed = new Map<string, string[]>();
  for (const p of peers) {
    if (p.state !== 'known' || !p.target) continue;
    const { afterTxg, policy } = p.target;
    const pending = snapshots.filter((v) => afterTxg === null || v.createtxg > afterTxg);
    if (pending.length === 0) continue;
    if (policy === null) {
      for (const v of pending) push(needed, v.guid, p.name);
      continue;
    }
    // Judge as if the pending snapshots had arrived; names keep their times, so slots are the same there.
    const pendingGuids = new Set(pending.map((v) => v.guid));
    const there = p.target.snapshots.filter((v) => v.kind === 'snapshot' && !pendingGuids.has(v.guid));
    for (const verdict of judgeByPolicy([...there, ...pending], policy, now)) {
      if (verdict.keep && pendingGuids.has(verdict.snapshot.guid) && verdict.reason.kind !== 'other-name') push(needed, verdict.snapshot.guid, p.name);
    }
  }
  return needed;
};

/**
 * A listing with far fewer snapshots than the last run saw is more likely truncated than real: prune would then
 * keep the wrong "newest" slots. Below 8 snapshots any change is plausible.
 */
export const countDropLooksImplausible = (previous: number | undefined, current: number): boolean =>
  previous !== undefined && previous >= 8 && current < previous / 2;
