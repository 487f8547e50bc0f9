// What a transfer step carries to the target: the snapshots of its stream (an -I range carries every source
// snapshot after its base), the ones the write-ahead record must protect before it starts, and the ones that are
// on the target anyway after it failed (read back, so cleanup never takes a snapshot the target shares).
import { snapshotsAfter } from '../core/common.js';
import { ownsSyncSnapshot } from '../core/names.js';
import type { Step } from '../core/plan.js';
import { compareVersions, type Version } from '../core/versions.js';
import { ownerOf } from './job.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';

/** The snapshots a send step carries, oldest first (an -I stream carries every source snapshot after its base). */
const carriedBy = (source: readonly Version[], step: Step): Version[] => {
  if (step.kind === 'incremental' && step.intermediates && step.from.kind === 'snapshot')
    return snapshotsAfter(source, step.from).filter((v) => compareVersions(v, step.to) <= 0);
  return step.kind === 'full' || step.kind === 'incremental' || step.kind === 'resume' ? [step.to] : [];
};

/** What a transfer step may leave on the target that cleanup could take from the source: its newest, and this job's sync snapshots it carries. */
export const inFlightOf = (ctx: TargetContext, pair: DatasetPair, step: Step & { readonly to: Version }): { name: string; guid: string }[] =>
  carriedBy(pair.source.versions, step)
    .filter((v) => v.kind === 'snapshot' && (v.guid === step.to.guid || ownsSyncSnapshot(ownerOf(ctx.job), v.name)))
    .map((v) => ({ name: v.name, guid: v.guid }));

/** Which snapshots of a failed step are on the target anyway (one `zfs get`), as the target lists them; null when unreadable. */
export const arrivedBeforeFailure = async (ctx: TargetContext, pair: DatasetPair, step: Step): Promise<Version[] | null> => {
  const carried = carriedBy(pair.source.versions, step);
  if (carried.length === 0) return [];
  try {
    const got = await ctx.endpoint.getVersions(
      ctx.caps,
      carried.map((v) => `${pair.targetName}@${v.name}`),
    );
    return carried.flatMap((v) => {
      const t = got.get(`${pair.targetName}@${v.name}`);
      return t && t.guid === v.guid ? [t] : [];
    });
  } catch {
    return null;
  }
};
