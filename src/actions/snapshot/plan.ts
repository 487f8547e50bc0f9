// What one snapshot run takes in one tree: which datasets may be snapshotted (never a replica, never one the
// operator opted out with com.sun:auto-snapshot[:<label>]=false, never an excluded one), which labels are due
// on each, and the calls that take them: one `zfs snapshot` per label, atomic across the tree. Pure.
import type { DatasetInfo, Listing } from '../../core/dataset.js';
import { formatPeriodicSnapshotName } from '../../core/names.js';
import { dueSchedules } from '../../core/retention/due.js';
import type { Policy } from '../../core/retention/policy.js';

export const AUTO_SNAPSHOT_PROP = 'com.sun:auto-snapshot';

/** User properties a listing must carry for the opt-out rules. */
export const optOutProperties = (labels: readonly string[]): string[] => [AUTO_SNAPSHOT_PROP, ...labels.map((l) => `${AUTO_SNAPSHOT_PROP}:${l}`)];

export interface TreeSpec {
  readonly root: string;
  readonly recursive: boolean;
  readonly exclude: readonly string[];
  /** Datasets on this host that are targets of a configured job (snapshotting them breaks their replication). */
  readonly replicaTargets: readonly string[];
}

export interface SkippedDataset {
  readonly dataset: string;
  readonly why: string;
}

export interface LabelCall {
  readonly label: string;
  /** Full names to create, `pool/ds@zfailover_<label>_<stamp>`. */
  readonly names: readonly string[];
  /** True when the names cover every dataset of a recursive tree: `zfs snapshot -r root@name` is equivalent. */
  readonly wholeTree: boolean;
}

export interface SnapshotPlan {
  readonly root: string;
  readonly datasets: readonly string[];
  readonly skipped: readonly SkippedDataset[];
  /** Labels due per dataset (only datasets with something due). */
  readonly due: ReadonlyMap<string, readonly string[]>;
  readonly calls: readonly LabelCall[];
}

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);
const isFalse = (v: string | undefined): boolean => v !== undefined && v.trim().toLowerCase() === 'false';

export const planSnapshots = (listing: Listing, tree: TreeSpec, policy: Policy, now: number): SnapshotPlan => {
  const all = [...listing.datasets.values()].filter((d) => tree.recursive || d.name === tree.root);
  const skipped: SkippedDataset[] = [];
  const eligible: DatasetInfo[] = [];
  for (const d of all) {
    const excluded = tree.exclude.find((x) => within(x, d.name));
    const target = tree.replicaTargets.find((t) => within(t, d.name));
    if (excluded) skipped.push({ dataset: d.name, why: `excluded (${excluded})` });
    else if (d.role === 'replica') skipped.push({ dataset: d.name, why: 'a replica (zfailover:role=replica)' });
    else if (target) skipped.push({ dataset: d.name, why: `a replication target (${target})` });
    else if (isFalse(d.extra[AUTO_SNAPSHOT_PROP])) skipped.push({ dataset: d.name, why: `${AUTO_SNAPSHOT_PROP}=false` });
    else eligible.push(d);
  }
  const due = new Map<string, string[]>();
  const byLabel = new Map<string, string[]>();
  for (const d of eligible) {
    const labels = dueSchedules(d.versions, policy, now)
      .map((x) => x.schedule.label)
      .filter((l) => !isFalse(d.extra[`${AUTO_SNAPSHOT_PROP}:${l}`]));
    if (labels.length === 0) continue;
    due.set(d.name, labels);
    for (const l of labels) byLabel.set(l, [...(byLabel.get(l) ?? []), d.name]);
  }
  const calls: LabelCall[] = policy.schedules
    .filter((s) => byLabel.has(s.label))
    .map((s) => {
      const datasets = byLabel.get(s.label) as string[];
      const short = formatPeriodicSnapshotName(s.label, now);
      return { label: s.label, names: datasets.map((ds) => `${ds}@${short}`), wholeTree: tree.recursive && datasets.length === all.length };
    });
  return { root: tree.root, datasets: eligible.map((d) => d.name), skipped, due, calls };
};
