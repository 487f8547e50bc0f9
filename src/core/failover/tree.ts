// One side of a failover as the decisions see it: the job's datasets of a tree keyed by their path below the
// root, with roles and epochs read the way sync writes them (on the root, inherited by the children), and the
// check that a tree stands at one point in time before it is promoted as a whole. Pure.
import type { ConflictName } from '../../errors.js';
import type { DatasetInfo, Role } from '../dataset.js';
import { parseSyncSnapshotName } from '../names.js';
import { newestSnapshot, type Version } from '../versions.js';

export interface TreeView {
  readonly root: string;
  /** Path below the root ('' = the root) -> dataset; empty when the root does not exist. */
  readonly datasets: ReadonlyMap<string, DatasetInfo>;
}

/** Why a failover step is refused: a named conflict, one sentence, and the command that resolves it. */
export interface Refusal {
  readonly kind: 'refuse';
  readonly conflict: ConflictName;
  readonly reason: string;
  readonly hint?: string;
}

export const refuse = (conflict: ConflictName, reason: string, hint?: string): Refusal => ({ kind: 'refuse', conflict, reason, ...(hint ? { hint } : {}) });

export const rootOf = (t: TreeView | null): DatasetInfo | null => t?.datasets.get('') ?? null;

/** Parents before children, so creating, cloning and mounting can go in this order (and the reverse to unmount). */
export const relsTopDown = (t: TreeView): string[] => [...t.datasets.keys()].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));

const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);

export const joinRel = (root: string, rel: string): string => (rel === '' ? root : `${root}/${rel}`);

/**
 * Sync's reading of roles: an unmarked source is the primary of epoch 0 (sync marks it so on its first run);
 * an unmarked target is a replica.
 */
export const sourceRole = (d: DatasetInfo): Role => d.role ?? 'primary';
export const targetRole = (d: DatasetInfo): Role => d.role ?? 'replica';
export const epochOf = (d: DatasetInfo | null): number => d?.epoch ?? 0;
/** The epoch a tree's root carries as listed (0 when unmarked), or null when the root is not there to read (alerts: unknown). */
export const listedEpoch = (t: TreeView | null): number | null => (rootOf(t) ? epochOf(rootOf(t)) : null);

/** What the local job state file says about the last run that reached the replica (takeover evidence). */
export interface TreeEvidence {
  /** The last run that reached this target ended OK for every dataset. */
  readonly ok: boolean;
  /** GUID of the root's newest common snapshot recorded by that run. */
  readonly rootGuid: string | null;
  /** rel -> GUID of each dataset's newest common snapshot recorded by that run. */
  readonly datasets: Readonly<Record<string, string>>;
}

export type TreePoint =
  | { readonly kind: 'point'; readonly points: ReadonlyMap<string, Version>; readonly notes: readonly string[] }
  | { readonly kind: 'mixed'; readonly problems: readonly string[] };

/**
 * The snapshot each dataset of a replica tree is promoted at, when the tree stands at one point in time: every
 * dataset at the root's newest snapshot (sync snapshots a tree in one call). Where sync snapshots only changed
 * datasets (OpenZFS), names differ legitimately; then the job state of the last run that reached this replica
 * vouches for the tree when it ended OK with exactly these snapshots. Otherwise an unchanged dataset and one
 * whose receive failed look the same: refused, unless `accept` (the operator's call, noted) takes every
 * dataset at its newest snapshot.
 */
export const treePoint = (tree: TreeView, evidence: TreeEvidence | null, accept: boolean): TreePoint => {
  const problems: string[] = [];
  const notes: string[] = [];
  const points = new Map<string, Version>();
  const root = rootOf(tree);
  const rootNewest = root ? newestSnapshot(root.versions) : undefined;
  for (const rel of relsTopDown(tree)) {
    const d = tree.datasets.get(rel)!;
    const newest = newestSnapshot(d.versions);
    if (!newest) {
      problems.push(`${d.name} has no snapshot`);
      continue;
    }
    points.set(rel, newest);
    if (rel === '' || !rootNewest || newest.name === rootNewest.name) continue;
    // The last run that reached this replica ended OK with exactly these snapshots: the tree is whole.
    const vouched = evidence !== null && evidence.ok && evidence.rootGuid === rootNewest.guid && evidence.datasets[rel] === newest.guid;
    if (vouched) continue;
    const hasRootPoint = d.versions.some((v) => v.kind === 'snapshot' && v.name === rootNewest.name);
    const ahead = hasRootPoint || isLater(newest, rootNewest);
    const what = `${d.name} is at @${newest.name}, ${ahead ? 'after' : 'before'} the root's @${rootNewest.name}: ${ahead ? 'the root was unchanged since, or its last receive failed' : 'unchanged since, or its last receive failed'}, and no successful sync run recorded here tells which`;
    if (accept) notes.push(`accepted: ${what}`);
    else problems.push(what);
  }
  return problems.length > 0 ? { kind: 'mixed', problems } : { kind: 'point', points, notes };
};

/** Compares two datasets' snapshots (txgs differ per dataset only within a pool): by the sync stamp, else creation. */
const isLater = (a: Version, b: Version): boolean => {
  const ta = parseSyncSnapshotName(a.name)?.time ?? a.creation * 1000;
  const tb = parseSyncSnapshotName(b.name)?.time ?? b.creation * 1000;
  return ta > tb;
};
