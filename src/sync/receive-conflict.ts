// Receive failures named for the operator: those that mean "the target is not what the plan saw" (zfs-fuse cannot
// tell before the receive: no `written`) become the planner's conflicts; others get their fix (receive-fixes.ts).
import { fixLine, zfailoverLine } from '../core/operator-command.js';
import { ConflictError, type ConflictName } from '../errors.js';
import { ZfsError } from '../zfs/errors.js';
import { withReceiveFix } from './receive-fixes.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';

/**
 * Receive failures that mean "the target is not what the plan saw" are conflicts, named like the planner's; others
 * get the fix for the target's host where the sync knows one (receive-fixes.ts).
 */
export const asConflict = (e: unknown, pair: DatasetPair, ctx: TargetContext, encryptionRoot: string | null): unknown => {
  if (!(e instanceof ZfsError)) return e;
  const byReason: Partial<Record<ZfsError['reason'], ConflictName>> = {
    'target-modified': 'target-modified',
    'target-has-newer-snapshots': 'target-newer',
    'incremental-mismatch': 'target-newer',
  };
  const fixed = withReceiveFix(e, ctx.job, ctx.target.side.host, pair.targetName, encryptionRoot);
  if (fixed !== e) return fixed;
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
