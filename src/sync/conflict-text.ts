// One-line descriptions of planner conflicts and the fix for each: a sh line the operator pastes as is (built
// and quoted by core/operator-command.ts), followed by `  # why`. The same text reaches sync's fix: line, check
// divergence, mails and traps, and the README table (docs/design.md §"Printed fixes").
import type { Conflict } from '../core/plan.js';
import { fullName, type Version } from '../core/versions.js';
import { formatDuration } from '../core/duration.js';
import { DIVERGED_DATASET_MARK } from '../core/names.js';
import { andThen, fixLine, zfailoverLine, type JobInvocation } from '../core/operator-command.js';
import type { HostSpec } from '../zfs/types.js';

type Stages = readonly (readonly string[])[];

export interface ConflictContext {
  /** The job this run belongs to, as the operator would name it again. */
  readonly invocation: JobInvocation;
  /** Target dataset (of this pair). */
  readonly target: string;
  readonly source: string;
  /** A sh line running `stages` on the target's host / the source's host (ssh with the job's settings). */
  readonly onTarget: (stages: Stages) => string;
  readonly onSource: (stages: Stages) => string;
  /** The command that makes the source a replica of the target (`zfailover demote ...`), for fencing conflicts. */
  readonly demoteSource: string;
  /** The command that sets the target's own history aside (renamed, nothing copied) and makes it a replica again. */
  readonly demoteTarget: string;
  readonly now: number;
}

/** `ssh [-p PORT] [user@]host ` prefix; kept for callers that print a host's login, not a command. */
export const sshShellPrefix = (host: HostSpec | null): string => {
  if (!host) return '';
  return `ssh ${host.port ? `-p ${host.port} ` : ''}${host.user ? `${host.user}@` : ''}${host.host} `;
};

const list = (names: readonly { name: string }[], max = 3): string =>
  names
    .slice(0, max)
    .map((v) => v.name)
    .join(', ') + (names.length > max ? `, +${names.length - max} more` : '');

/** New name of a target snapshot whose name the source reuses: keeps its data, frees the name. */
export const staleName = (v: Version): string => `${v.name}.stale-${v.guid}`;

/**
 * Why demote is the fix for a replica with its own history: it renames the target aside (its snapshots and any
 * later writes stay readable there, nothing is copied), re-creates the target at the common snapshot as a
 * promoted clone and syncs on top. A rollback would destroy that history; a full copy would cost its size.
 */
const keepsAside = (ctx: ConflictContext, common: Version): string =>
  `keeps the target's own history in a renamed copy (${ctx.target}${DIVERGED_DATASET_MARK}EPOCH-TIME), re-creates it at @${common.name} and syncs; to discard that history instead: ${zfailoverLine(ctx.invocation, ['sync'], { extra: ['--rollback-target'] })}`;

export const describeConflict = (c: Conflict, ctx: ConflictContext): { message: string; hint: string } => {
  const sync = (...extra: string[]): string => zfailoverLine(ctx.invocation, ['sync'], { extra });
  switch (c.conflict) {
    case 'no-source-snapshots':
      return {
        message: `${ctx.source} has no snapshots`,
        hint: fixLine(andThen(ctx.onSource([['zfs', 'snapshot', `${ctx.source}@initial`]]), sync()), 'a first snapshot to replicate'),
      };
    case 'target-is-primary':
      return {
        message: `${ctx.target} is a primary (epoch ${c.targetEpoch}): refusing to overwrite it`,
        hint: fixLine(ctx.demoteSource, `${ctx.source} is the old primary: demote keeps its own writes aside and makes it a replica of ${ctx.target}`),
      };
    case 'target-epoch-higher':
      return {
        message: `${ctx.target} has epoch ${c.targetEpoch}, above the source's ${c.sourceEpoch}: the source is an old primary`,
        // Not demote: demote needs the target to be primary, and this one is a replica of a later epoch (the
        // primary of that epoch is elsewhere). Status names both sides' roles and epochs: demote the source
        // against the primary of epoch N.
        hint: fixLine(
          zfailoverLine(ctx.invocation, ['status']),
          `shows each side's role and epoch; ${ctx.source} is older than epoch ${c.targetEpoch}: demote it against that epoch's primary`,
        ),
      };
    case 'no-common-snapshot': {
      const n = c.targetVersions.filter((v) => v.kind === 'snapshot').length;
      return {
        message: `${ctx.target} exists with ${n} snapshot(s) but none in common with ${ctx.source} (by GUID)`,
        // Demote, not a bare `zfs rename`: it fences and snapshots the target first, unmounts it and retries a
        // rename that a closing mount refuses as busy, and sends the source in full under the job's lock.
        hint: fixLine(
          ctx.demoteTarget,
          `keeps ${ctx.target} with its snapshots in a renamed copy (${ctx.target}${DIVERGED_DATASET_MARK}EPOCH-TIME), then sends the source in full`,
        ),
      };
    }
    case 'diverged':
      return {
        message: `${ctx.target} diverged after @${c.common.target.name}: ${c.targetOnly.length} target-only (${list(c.targetOnly)}), ${c.sourceOnly.length} source-only snapshot(s)`,
        hint: fixLine(ctx.demoteTarget, keepsAside(ctx, c.common.target)),
      };
    case 'snapshot-name-reused': {
      const renames = c.clashes.map(({ target }) => ctx.onTarget([['zfs', 'rename', fullName(target), `${target.dataset}@${staleName(target)}`]]));
      return {
        message: `${ctx.target} has an older snapshot of the same name as the source's but another GUID: ${list(c.clashes.map((x) => x.target))} (the source re-created it)`,
        hint: fixLine(andThen(...renames, sync()), `renames the target's old snapshot(s) to @NAME.stale-GUID (data kept), then syncs`),
      };
    }
    case 'target-newer':
      return {
        message: `${ctx.target} has ${c.targetOnly.length} snapshot(s) newer than the common @${c.common.target.name} that the source lacks (${list(c.targetOnly)})`,
        hint: fixLine(ctx.demoteTarget, keepsAside(ctx, c.common.target)),
      };
    case 'target-modified':
      return {
        message: `${ctx.target} was modified since @${c.common.target.name} (${c.written} bytes written, ${formatDuration(ctx.now / 1000 - c.common.target.creation)} ago)`,
        hint: fixLine(sync('--rollback-target'), `discards the writes made on the replica since @${c.common.target.name}; the sync sets readonly=on again`),
      };
  }
};
