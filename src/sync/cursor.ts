// After a cycle, per target: move the replication cursor (a bookmark on the source naming the GUID the target
// has) and the hold on the target's newest common snapshot. New ones first, old ones after, so a crash in
// between leaves one too many (cleaned up next cycle), never one too few.
import { formatCursorBookmarkName, formatHoldTag, formatLegacyHoldTag, ownCursor, parseCursorBookmarkName, type Owner } from '../core/names.js';
import type { Version } from '../core/versions.js';
import { newestCommon } from '../core/common.js';
import type { Capabilities } from '../zfs/types.js';
import type { SyncEndpoint } from './endpoint.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';
import { ownerOf } from './job.js';

/**
 * The source versions a target's plan starts from: where several bookmarks carry one GUID (each target of a job
 * keeps its own cursor), only the one this target owns, else a bookmark that is no cursor, else any. Another
 * target's cursor moves during the cycle: an increment based on it failed with "incremental source does not exist".
 */
export const planningVersions = (versions: readonly Version[], owner: Owner, target: string): Version[] => {
  const rank = (v: Version): number => {
    if (v.kind === 'snapshot') return 0;
    if (ownCursor(owner, target, v.name) !== null) return 1;
    return parseCursorBookmarkName(v.name) === null ? 2 : 3;
  };
  const best = new Map<string, Version>();
  for (const v of versions) {
    const seen = best.get(v.guid);
    if (!seen || rank(v) < rank(seen)) best.set(v.guid, v);
  }
  return versions.filter((v) => v.kind === 'snapshot' || best.get(v.guid) === v);
};

export interface CursorMoves {
  /** Cursor bookmarks destroyed (full names). */
  readonly destroyed: string[];
  /** Target snapshots (full names) that got our hold, and that lost it. */
  readonly held: string[];
  readonly released: string[];
  /** The same on the source. */
  readonly sourceHeld: string[];
  readonly sourceReleased: string[];
}

export const moveCursors = async (
  ctx: TargetContext,
  pairs: readonly DatasetPair[],
  versions: ReadonlyMap<string, readonly Version[]>,
  commons: ReadonlyMap<string, string>,
): Promise<CursorMoves> => {
  const destroyed: string[] = [];
  const held: string[] = [];
  const released: string[] = [];
  const sourceHeld: string[] = [];
  const sourceReleased: string[] = [];
  const { job, target } = ctx;
  const owner = ownerOf(job);
  const src = ctx.source;
  if (job.bookmarks && src.caps.bookmarks) {
    for (const pair of pairs) {
      const guid = commons.get(pair.rel);
      if (!guid) continue;
      // Ours: this installation's cursor for this job and target, and a legacy one (retired once the new exists).
      const cursorsOf = (targetId: string): Version[] =>
        pair.source.versions.filter((v) => v.kind === 'bookmark' && ownCursor(owner, targetId, v.name) !== null);
      const mine = cursorsOf(target.id);
      const name = formatCursorBookmarkName(owner.job, owner.installation, target.id, guid);
      // The snapshot, not another target's cursor of the same GUID (bookmarks sort first on a txg tie).
      const common = pair.source.versions.find((v) => v.guid === guid && v.kind === 'snapshot') ?? pair.source.versions.find((v) => v.guid === guid);
      if (!mine.some((v) => v.name === name) && common?.kind === 'snapshot') {
        await src.endpoint.createBookmark(src.caps, `${pair.source.name}@${common.name}`, `${pair.source.name}#${name}`);
      }
      if (!mine.some((v) => v.name === name) && common?.kind !== 'snapshot') continue; // never drop the only cursor
      // Another target of the job without a cursor of its own (a run killed before its cursor moved) may have
      // only our old cursor as its base once the snapshot is gone: keep it until that target has its own
      // (found by the cycle model: the later target's increment failed with "incremental source does not exist").
      const unanchored = job.targets.some((t) => t.id !== target.id && cursorsOf(t.id).length === 0);
      for (const old of mine.filter((v) => v.name !== name)) {
        if (unanchored && !pair.source.versions.some((v) => v.kind === 'snapshot' && v.guid === old.guid)) continue;
        await src.endpoint.destroyBookmark(src.caps, `${pair.source.name}#${old.name}`);
        destroyed.push(`${pair.source.name}#${old.name}`);
      }
    }
  }
  if (job.holds) {
    // On the target, no prune can take the base of the next increment. On the source only when the source is
    // itself a replica (a cascade A -> B -> C): there the upstream job's cleanup would destroy B's base for C.
    // A primary source stays free for its operator (`zfs destroy -r` of a dataset is not blocked by holds).
    const tag = formatHoldTag(owner.job, owner.installation, target.id);
    const legacyTag = formatLegacyHoldTag(owner.job, target.id);
    const targetSide: HoldEntry[] = [];
    const sourceSide: HoldEntry[] = [];
    for (const pair of pairs) {
      const guid = commons.get(pair.rel);
      const vs = versions.get(pair.rel);
      if (!guid || !vs) continue;
      const prevGuid = pair.target ? (newestCommon(pair.source.versions, pair.target.versions)?.source.guid ?? null) : null;
      targetSide.push({ dataset: pair.targetName, guid, after: vs, before: pair.target?.versions ?? [], moved: prevGuid !== guid });
      if (pair.source.role === 'replica')
        sourceSide.push({ dataset: pair.source.name, guid, after: pair.source.versions, before: pair.source.versions, moved: prevGuid !== guid });
    }
    if (ctx.caps.holds) {
      const t = await moveHolds(ctx.endpoint, ctx.caps, { tag, legacyTag }, targetSide);
      held.push(...t.held);
      released.push(...t.released);
    }
    if (src.caps.holds && sourceSide.length > 0) {
      const s = await moveHolds(src.endpoint, src.caps, { tag, legacyTag }, sourceSide);
      sourceHeld.push(...s.held);
      sourceReleased.push(...s.released);
    }
  }
  return { destroyed, held, released, sourceHeld, sourceReleased };
};

interface HoldEntry {
  readonly dataset: string;
  /** GUID of the common snapshot to hold. */
  readonly guid: string;
  /** The side's versions now, and as listed at the start of the cycle (for their hold counts). */
  readonly after: readonly Version[];
  readonly before: readonly Version[];
  /** The common snapshot changed this cycle. */
  readonly moved: boolean;
}

/**
 * Hold each entry's common snapshot under `tag` (batched), then release `tag` from the others that carry it.
 * The upgrade path: the hold this job put under its pre-identity tag (`zfailover_<job>_<target>`) goes the same
 * way, from the snapshots that are no longer common; the common snapshot keeps it until it moves and the new tag
 * holds the new one, so it is never left unheld.
 */
const moveHolds = async (
  endpoint: SyncEndpoint,
  caps: Capabilities,
  tags: { readonly tag: string; readonly legacyTag: string },
  entries: readonly HoldEntry[],
): Promise<{ held: string[]; released: string[] }> => {
  const { tag, legacyTag } = tags;
  const toHold: string[] = [];
  const candidates: string[] = [];
  for (const e of entries) {
    const common = e.after.find((v) => v.kind === 'snapshot' && v.guid === e.guid);
    if (!common) continue;
    const before = e.before.find((v) => v.kind === 'snapshot' && v.guid === e.guid);
    // Hold when the common snapshot is new this cycle or carries no hold at all (holding again is harmless).
    if (e.moved || !before || !before.userrefs) toHold.push(`${e.dataset}@${common.name}`);
    for (const v of e.before) {
      if (v.kind === 'snapshot' && v.guid !== e.guid && (v.userrefs ?? 0) > 0) candidates.push(`${e.dataset}@${v.name}`);
    }
  }
  if (toHold.length > 0) await endpoint.hold(caps, tag, toHold);
  const released: string[] = [];
  if (candidates.length > 0) {
    // Only our own tags, from snapshots that carry them. zfs-fuse cannot list tags: there both are released blindly,
    // and a tag that is missing costs that one batched call (zfs/commands.ts release), not a call per snapshot.
    const carrying = caps.holdsList ? [...(await endpoint.holds(caps, candidates))] : null;
    for (const t of [tag, legacyTag]) {
      const ours = carrying ? carrying.filter(([, ts]) => ts.includes(t)).map(([snap]) => snap) : candidates;
      if (ours.length > 0) await endpoint.release(caps, t, ours);
      // One entry per release, so the cycle's hold counts stay exact; where tags cannot be listed a legacy
      // release is not counted (the snapshot may not have carried it): cleanup takes it a cycle later.
      if (t === tag || carrying) released.push(...ours);
    }
  }
  return { held: toHold, released };
};
