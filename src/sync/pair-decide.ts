// What to do with one dataset pair: the planner's decision from both listings, with the replica's resume token
// judged first (the token is the replica's word) and the job's conflict policy applied.
import { ownsSyncSnapshot } from '../core/names.js';
import { isEncrypted, type DatasetInfo } from '../core/dataset.js';
import { planReplication, type Decision, type PlanOptions, type TargetState } from '../core/plan.js';
import { resolveConflict, rollbackUnknownWrites } from '../core/resolve.js';
import { judgeResumeToken, type ResumeExpectation } from '../core/resume-token.js';
import { sendsRaw } from '../zfs/argv.js';
import { planningVersions } from './cursor.js';
import { ownerOf } from './job.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';

export const targetStateOf = (ds: DatasetInfo, toGuid: string | null, refused: string | null = null, stale: string | null = null): TargetState => ({
  versions: ds.versions,
  written: ds.written,
  resume: ds.resumeToken ? { token: ds.resumeToken, toGuid, refused, stale } : null,
  role: ds.role,
  epoch: ds.epoch,
});

/** What a fresh send of this pair would be: the base a resume token may name and the stream flags. */
const resumeExpectation = (ctx: TargetContext, source: DatasetInfo, target: DatasetInfo): ResumeExpectation => {
  const send = ctx.job.send;
  return {
    sourceDataset: source.name,
    sourceGuids: new Set(source.versions.map((v) => v.guid)),
    targetGuids: new Set(target.versions.map((v) => v.guid)),
    raw: sendsRaw(send.raw, isEncrypted(source)),
    compressed: send.compressed,
    embedded: send.embedded,
    largeBlocks: send.largeBlocks,
  };
};

export const decide = async (ctx: TargetContext, pair: DatasetPair): Promise<Decision> => {
  let toGuid: string | null = null;
  let refused: string | null = null;
  let stale: string | null = null;
  if (pair.target?.resumeToken) {
    try {
      const info = await ctx.source.endpoint.resumeTokenInfo(pair.target.resumeToken);
      toGuid = info.toGuid;
      // The token is the replica's word: sent only when it asks for exactly what this job would send. One that
      // pruning on the source made stale is aborted without a warning.
      ({ stale, refused } = judgeResumeToken(info, resumeExpectation(ctx, pair.source, pair.target)));
      if (refused) ctx.log.warn({ dataset: pair.targetName, reason: refused }, 'resume token refused; the partial receive will be aborted');
    } catch (e) {
      ctx.log.warn({ err: e, dataset: pair.targetName }, 'resume token unreadable; the partial receive will be aborted');
    }
  }
  const owner = ownerOf(ctx.job);
  // This job's older sync snapshots are superseded: the stream jumps over them (a failed cycle's cannot block the next).
  const options: PlanOptions = { initial: ctx.job.initial, intermediates: true, leaveOut: (v) => v.kind === 'snapshot' && ownsSyncSnapshot(owner, v.name) };
  const target = pair.target ? targetStateOf(pair.target, toGuid, refused, stale) : null;
  const decision = planReplication({ versions: planningVersions(pair.source.versions, owner, ctx.target.id), epoch: pair.source.epoch }, target, options);
  const policy = { rollbackTarget: ctx.job.rollbackTarget };
  return rollbackUnknownWrites(resolveConflict(decision, policy, options), policy, target?.written !== null);
};
