// Is the newest common snapshot of a replica safe from deletion? Incremental replication depends on it; if any
// pruner (zfs-auto-snapshot's --keep, a manual destroy) removes it on either side, the next sync needs a full
// send. It is safe when zfailover owns it (a sync snapshot of this job: only sync destroys those, never the
// common one), when it is held, or (source side) when a bookmark with its GUID remains. Pure.
import { newestCommon } from '../core/common.js';
import type { DatasetInfo } from '../core/dataset.js';
import { parseSyncSnapshotName } from '../core/names.js';
import type { Version } from '../core/versions.js';

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

const ownedBy = (v: Version, job: string): boolean => parseSyncSnapshotName(v.name)?.job === job;

const list = (names: readonly string[]): string => names.slice(0, 3).join(', ') + (names.length > 3 ? ` (+${names.length - 3} more)` : '');

export const protectionOf = (job: string, pairs: readonly ProtectionPair[]): Protection => {
  const sourceRisk: string[] = [];
  const targetRisk: string[] = [];
  let checked = 0;
  for (const { source, target } of pairs) {
    if (!target) continue;
    const c = newestCommon(source.versions, target.versions);
    if (!c) continue;
    checked++;
    const s = c.source;
    const bookmarked = s.kind === 'bookmark' || source.versions.some((v) => v.kind === 'bookmark' && v.guid === s.guid);
    if (!(ownedBy(s, job) || bookmarked || (s.userrefs ?? 0) > 0)) sourceRisk.push(`${s.dataset}@${s.name}`);
    const t = c.target;
    if (!(ownedBy(t, job) || (t.userrefs ?? 0) > 0)) targetRisk.push(`${t.dataset}@${t.name}`);
  }
  const risks = [
    ...(sourceRisk.length ? [`common snapshot not protected on the source (no hold/bookmark): ${list(sourceRisk)}`] : []),
    ...(targetRisk.length ? [`common snapshot not held on the target: ${list(targetRisk)}`] : []),
  ];
  return {
    risks,
    checked,
    ...(risks.length
      ? { hint: 'let sync take its own snapshots (no --no-sync-snap) and keep holds/bookmarks on, or exclude these from foreign pruners (zfs hold keep <snapshot>)' }
      : {}),
  };
};
