// One-line descriptions of planner conflicts and the command that resolves each (shown to the operator).
import type { Conflict } from '../core/plan.js';
import { fullName } from '../core/versions.js';
import { formatDuration } from '../core/duration.js';
import type { HostSpec } from '../zfs/types.js';

export interface ConflictContext {
  /** `zfailover sync ...` invocation that reproduces this run (job or ad hoc). */
  readonly syncCommand: string;
  /** Target dataset, and `ssh host` prefix when the target is remote. */
  readonly target: string;
  readonly targetShell: string;
  readonly source: string;
  readonly now: number;
}

/** `ssh [-p PORT] [user@]host ` for commands an operator runs on a remote target, or '' for a local one. */
export const sshShellPrefix = (host: HostSpec | null): string => {
  if (!host) return '';
  return `ssh ${host.port ? `-p ${host.port} ` : ''}${host.user ? `${host.user}@` : ''}${host.host} `;
};

const list = (names: readonly { name: string }[], max = 3): string =>
  names.slice(0, max).map((v) => v.name).join(', ') + (names.length > max ? `, +${names.length - max} more` : '');

export const describeConflict = (c: Conflict, ctx: ConflictContext): { message: string; hint: string } => {
  const zfs = `${ctx.targetShell}zfs`;
  switch (c.conflict) {
    case 'no-source-snapshots':
      return { message: `${ctx.source} has no snapshots`, hint: `${ctx.syncCommand} (without --no-sync-snap), or zfs snapshot ${ctx.source}@initial` };
    case 'target-is-primary':
      return {
        message: `${ctx.target} is a primary (epoch ${c.targetEpoch}): refusing to overwrite it`,
        hint: `if ${ctx.target} really is the old primary: zfailover demote (keeps its diverged writes), then sync again`,
      };
    case 'target-epoch-higher':
      return {
        message: `${ctx.target} has epoch ${c.targetEpoch} > source epoch ${c.sourceEpoch}: the source is an old primary`,
        hint: 'replicate in the other direction, or zfailover demote the source (keeps its diverged writes)',
      };
    case 'no-common-snapshot': {
      const n = c.targetVersions.filter((v) => v.kind === 'snapshot').length;
      return {
        message: `${ctx.target} exists with ${n} snapshot(s) but none in common with ${ctx.source} (by GUID)`,
        hint: `keep it aside and start over with a full send: ${zfs} rename ${ctx.target} ${ctx.target}.orphaned; ${ctx.syncCommand}`,
      };
    }
    case 'diverged':
      return {
        message: `${ctx.target} diverged after @${c.common.target.name}: ${c.targetOnly.length} target-only (${list(c.targetOnly)}), ${c.sourceOnly.length} source-only snapshot(s)`,
        hint: `keep the target's history: ${zfs} clone ${fullName(c.targetOnly[c.targetOnly.length - 1]!)} ${ctx.target}.diverged; then roll back: ${ctx.syncCommand} --rollback-target`,
      };
    case 'target-newer':
      return {
        message: `${ctx.target} has ${c.targetOnly.length} snapshot(s) newer than the common @${c.common.target.name} that the source lacks (${list(c.targetOnly)})`,
        hint: `if they are not needed: ${ctx.syncCommand} --rollback-target (destroys them on the target)`,
      };
    case 'target-modified':
      return {
        message: `${ctx.target} was modified since @${c.common.target.name} (${c.written} bytes written, ${formatDuration(ctx.now / 1000 - c.common.target.creation)} ago)`,
        hint: `discard the changes: ${ctx.syncCommand} --rollback-target, or ${zfs} rollback ${fullName(c.common.target)}; keep ${ctx.target} readonly=on`,
      };
  }
};
