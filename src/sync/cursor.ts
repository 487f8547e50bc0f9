// After a cycle, per target: move the replication cursor (a bookmark on the source naming the GUID the target
// has) and the hold on the target's newest common snapshot. New ones first, old ones after, so a crash in
// between leaves one too many (cleaned up next cycle), never one too few.
import { formatCursorBookmarkName, formatHoldTag, parseCursorBookmarkName } from '../core/names.js';
import type { Version } from '../core/versions.js';
import { createBookmark, destroyBookmark, hold, holds, release } from '../zfs/commands.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target.js';

export interface CursorMoves {
  /** Cursor bookmarks destroyed (full names). */
  readonly destroyed: string[];
  /** Target snapshots (full names) that got our hold, and that lost it. */
  readonly held: string[];
  readonly released: string[];
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
  const { job, target } = ctx;
  const src = ctx.source;
  if (job.bookmarks && src.caps.bookmarks) {
    for (const pair of pairs) {
      const guid = commons.get(pair.rel);
      if (!guid) continue;
      const mine = pair.source.versions.filter((v) => {
        const c = v.kind === 'bookmark' ? parseCursorBookmarkName(v.name) : null;
        return c !== null && c.job === job.id && c.target === target.id;
      });
      const name = formatCursorBookmarkName(job.id, target.id, guid);
      const common = pair.source.versions.find((v) => v.guid === guid);
      if (!mine.some((v) => v.name === name) && common?.kind === 'snapshot') {
        await createBookmark(src.runner, src.caps, `${pair.source.name}@${common.name}`, `${pair.source.name}#${name}`);
      }
      if (!mine.some((v) => v.name === name) && common?.kind !== 'snapshot') continue; // never drop the only cursor
      for (const old of mine.filter((v) => v.name !== name)) {
        await destroyBookmark(src.runner, src.caps, `${pair.source.name}#${old.name}`);
        destroyed.push(`${pair.source.name}#${old.name}`);
      }
    }
  }
  if (job.holds && ctx.caps.holds) {
    const tag = formatHoldTag(job.id, target.id);
    const toHold: string[] = [];
    const candidates: string[] = [];
    for (const pair of pairs) {
      const guid = commons.get(pair.rel);
      const vs = versions.get(pair.rel);
      if (!guid || !vs) continue;
      const common = vs.find((v) => v.kind === 'snapshot' && v.guid === guid);
      if (!common) continue;
      const before = pair.target?.versions.find((v) => v.guid === guid && v.kind === 'snapshot');
      // Hold when the common snapshot is new this cycle or carries no hold at all.
      if (!before || !before.userrefs) toHold.push(`${pair.targetName}@${common.name}`);
      for (const v of pair.target?.versions ?? []) {
        if (v.kind === 'snapshot' && v.guid !== guid && (v.userrefs ?? 0) > 0) candidates.push(`${pair.targetName}@${v.name}`);
      }
    }
    if (toHold.length > 0) {
      await hold(ctx.runner, ctx.caps, tag, toHold);
      held.push(...toHold);
    }
    if (candidates.length > 0) {
      // Only release our own tag, from snapshots that actually carry it.
      const ours = ctx.caps.holdsList ? [...(await holds(ctx.runner, ctx.caps, candidates))].filter(([, tags]) => tags.includes(tag)).map(([snap]) => snap) : candidates;
      if (ours.length > 0) {
        await release(ctx.runner, ctx.caps, tag, ours);
        released.push(...ours);
      }
    }
  }
  return { destroyed, held, released };
};
