// Is the newest common snapshot of a replica safe from deletion? Incremental replication depends on it; if any
// pruner (zfs-auto-snapshot's --keep, a manual destroy) removes it on either side, the next sync needs a full
// send. It is safe when zfailover owns it (a sync snapshot of this job: only sync destroys those, never the
// common one), when it is held, or (source side) when a bookmark with its GUID remains. Pure.
import { newestCommon } from '../core/common.js';
import type { DatasetInfo } from '../core/dataset.js';
import { ownsSyncSnapshot, type Owner } from '../core/names.js';
import type { Policy } from '../core/retention/policy.js';
import { formatDuration } from '../core/duration.js';
import type { Version } from '../core/versions.js';
import { policyHorizon } from './prune-horizon.js';

export interface Protection {
  /** One sentence per unprotected side, naming the snapshots (empty when all is safe). */
  readonly risks: readonly string[];
  readonly hint?: string;
  /** Datasets whose common snapshot was examined. */
  readonly checked: number;
}

export interface ProtectionPair {
  readonly source: DatasetInfo;
  readonly target: DatasetInfo | null;
}

/** Retention policies that govern each side's datasets (null: none), and how far ahead to look. */
export interface HorizonOptions {
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly horizonMs: number;
  readonly sourcePolicy: (dataset: string) => Policy | null;
  readonly targetPolicy: (dataset: string) => Policy | null;
}

/** Another installation's sync snapshot is not safe: its owner destroys it once it has moved on. */
const ownedBy = (v: Version, owner: Owner): boolean => ownsSyncSnapshot(owner, v.name);

const list = (names: readonly string[]): string => names.slice(0, 3).join(', ') + (names.length > 3 ? ` (+${names.length - 3} more)` : '');

export const protectionOf = (job: Owner, pairs: readonly ProtectionPair[], horizon?: HorizonOptions): Protection => {
  const sourceRisk: string[] = [];
  const targetRisk: string[] = [];
  const soon: string[] = [];
  /** Unprotected and about to leave its policy: named with when. */
  const dropsSoon = (side: 'source' | 'target', versions: readonly Version[], v: Version): void => {
    const policy = horizon && (side === 'source' ? horizon.sourcePolicy(v.dataset) : horizon.targetPolicy(v.dataset));
    if (!horizon || !policy) return;
    const h = policyHorizon(versions, v, policy, horizon.now, horizon.horizonMs);
    if (h.kind !== 'dropped') return;
    const when = h.at <= horizon.now ? 'already beyond' : `leaves in ${formatDuration((h.at - horizon.now) / 1000)}`;
    soon.push(`${v.dataset}@${v.name} ${when} its policy (${h.label} keep ${h.keep}, ${side})`);
  };
  let checked = 0;
  for (const { source, target } of pairs) {
    if (!target) continue;
    const c = newestCommon(source.versions, target.versions);
    if (!c) continue;
    checked++;
    const s = c.source;
    const bookmarked = s.kind === 'bookmark' || source.versions.some((v) => v.kind === 'bookmark' && v.guid === s.guid);
    if (!(ownedBy(s, job) || bookmarked || (s.userrefs ?? 0) > 0)) {
      sourceRisk.push(`${s.dataset}@${s.name}`);
      dropsSoon('source', source.versions, s);
    }
    const t = c.target;
    if (!(ownedBy(t, job) || (t.userrefs ?? 0) > 0)) {
      targetRisk.push(`${t.dataset}@${t.name}`);
      dropsSoon('target', target.versions, t);
    }
  }
  const risks = [
    // Most urgent first: it goes at the next prune (zfailover's own prune keeps it only while it stays the
    // newest common snapshot and the target is known; a foreign pruner does not know that).
    ...(soon.length ? [`common snapshot unprotected and ${list(soon)}`] : []),
    ...(sourceRisk.length ? [`common snapshot not protected on the source (no hold/bookmark): ${list(sourceRisk)}`] : []),
    ...(targetRisk.length ? [`common snapshot not held on the target: ${list(targetRisk)}`] : []),
  ];
  return {
    risks,
    checked,
    ...(risks.length
      ? {
          hint: 'let sync take its own snapshots (no --no-sync-snap) and keep holds/bookmarks on, or exclude these from foreign pruners (zfs hold keep <snapshot>)',
        }
      : {}),
  };
};
