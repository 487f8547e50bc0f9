// Receive failures that mean "the target is not what the plan saw" (zfs-fuse cannot tell before the receive:
// no `written`), named like the planner's conflicts, with their fix from the one builder.
import { fixLine, zfailoverLine } from '../core/operator-command.js';
import { ConflictError, type ConflictName } from '../errors.js';
import { ZfsError } from '../zfs/errors.js';
import { onJobHost } from './invocation.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';

/** Receive failures that mean "the target is not what the plan saw" are conflicts, named like the planner's. */
export const asConflict = (e: unknown, pair: DatasetPair, ctx: TargetContext): unknown => {
  if (!(e instanceof ZfsError)) return e;
  const byReason: Partial<Record<ZfsError['reason'], ConflictName>> = {
    'target-modified': 'target-modified',
    'target-has-newer-snapshots': 'target-newer',
    'incremental-mismatch': 'target-newer',
  };
  if (e.reason === 'resume-state-exists') {
    // The fix runs on the target's host, reached the way the job reaches it (ssh key, port, options).
    const line = onJobHost(ctx.job, ctx.target.side.host, [['zfs', 'receive', '-A', pair.targetName]]);
    return new ZfsError({
      reason: e.reason,
      argv: e.argv,
      host: e.host,
      exitCode: e.exitCode,
      stderr: e.stderr,
      message: e.message,
      cause: e,
      hint: fixLine(line, 'drops the partial receive; otherwise the next run resumes it'),
    });
  }
  const name = byReason[e.reason];
  if (!name) return e;
  return new ConflictError(name, `${pair.targetName}: ${e.message}`, {
    cause: e,
    hint: receiveConflictHint(name, ctx),
  });
};

/** The fix for a conflict zfs recv found (the planner could not: zfs-fuse has no `written`), from the same builder. */
const receiveConflictHint = (name: ConflictName, ctx: TargetContext): string => {
  const rollback = zfailoverLine(ctx.commands.invocation, ['sync'], { extra: ['--rollback-target'] });
  if (name === 'target-modified')
    return fixLine(rollback, 'discards the writes made on the replica since its newest snapshot; the sync sets readonly=on again');
  return fixLine(
    ctx.commands.demoteTarget(ctx.target.id),
    `keeps the target's own snapshots in a renamed copy and makes it a replica again; to destroy them instead: ${rollback}`,
  );
};
