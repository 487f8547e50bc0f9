// What `zfailover status` says about one job: per side its role, epoch and newest snapshot, per replica its
// relation to the source and its lag, and the job's verdict: two primaries CRITICAL; no primary, an unreachable
// side or an unfinished promotion WARNING. Pure: listings, job state and records come in as data.
import { classifyReplica, needsOperator, type Relation } from '../divergence.js';
import { computeLag } from '../lag.js';
import { newestSnapshot } from '../versions.js';
import type { DatasetInfo } from '../dataset.js';
import type { TreeView } from './tree.js';
import { fixLine } from '../operator-command.js';

export type State = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export interface SideInput {
  readonly label: string;
  /** null when the host could not be listed. */
  readonly tree: TreeView | null;
  readonly error?: string;
}

export interface StatusInput {
  readonly job: string;
  readonly source: SideInput;
  readonly targets: readonly (SideInput & { readonly id: string })[];
  /** Unix seconds. */
  readonly now: number;
  readonly lastSync: { readonly state: string; readonly at: number | null; readonly successAt: number | null } | null;
  /** Runnable commands for the hints (core/operator-command.ts); prose without them. */
  readonly commands?: {
    /** Demote the job's source, its target (by id) staying primary. */
    readonly demoteSource: (targetId: string) => string;
    /** Demote the target (by id), the source staying primary. */
    readonly demoteTarget: (targetId: string) => string;
    readonly checkDivergence: string;
  };
  readonly records: readonly {
    readonly action: string;
    readonly mode: string;
    readonly phase: string;
    readonly epoch: number;
    readonly updatedAt: number;
    readonly aside?: string | null;
  }[];
}

export interface SideStatus {
  readonly label: string;
  readonly id: string | null;
  readonly reachable: boolean;
  readonly exists: boolean;
  readonly role: string | null;
  readonly epoch: number | null;
  readonly readonly: boolean | null;
  readonly mounted: boolean | null;
  readonly newest: { readonly name: string; readonly age: number } | null;
  readonly promoted: string | null;
  /** Replicas only: how the root relates to the source, and its lag in seconds. */
  readonly relation: Relation | null;
  readonly lag: number | null;
  /** The job's source, replicating from a target that was promoted (roles reversed by a switchover). */
  readonly reversed: boolean;
  readonly error: string | null;
}

export interface JobStatus {
  readonly job: string;
  readonly state: State;
  readonly summary: string;
  readonly sides: readonly SideStatus[];
  readonly problems: readonly string[];
  /** Runnable `fix:` lines for the problems (a command, then `  # why`), in the problems' order. */
  readonly fixes: readonly string[];
  readonly lastSync: StatusInput['lastSync'];
  readonly records: StatusInput['records'];
}

export const evaluateStatus = (s: StatusInput): JobStatus => {
  const src = s.source.tree?.datasets.get('') ?? null;
  // After a switchover the job's target is the primary and its source the replica: judge the pair that way round.
  const reversedFrom = src?.role === 'replica' ? s.targets.find((t) => t.tree?.datasets.get('')?.role === 'primary') : undefined;
  const newPrimary = reversedFrom?.tree?.datasets.get('') ?? null;
  const sides: SideStatus[] = [side(s.source, null, s.now, newPrimary, newPrimary !== null)];
  for (const t of s.targets) sides.push(side(t, t.id, s.now, newPrimary ? null : src, false));
  const problems: string[] = [];
  const fixes: string[] = [];
  let state: State = 'OK';
  const raise = (to: State, why: string, fix?: string): void => {
    problems.push(`${to}: ${why}`);
    if (fix !== undefined && !fixes.includes(fix)) fixes.push(fix);
    const rank = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 } as const;
    if (rank[to] > rank[state]) state = to;
  };
  const primaries = sides.filter((x) => x.role === 'primary');
  if (primaries.length > 1) {
    const list = primaries.map((p) => `${p.label} (epoch ${p.epoch ?? 0})`).join(' and ');
    const fix = twoPrimariesFix(s, sides);
    raise(
      'CRITICAL',
      `two primaries: ${list}; demote the older one (its writes are kept)`,
      fix ? fixLine(fix, 'demotes the older primary; its writes are kept aside') : undefined,
    );
  }
  for (const x of sides) if (!x.reachable) raise('UNKNOWN', `${x.label} cannot be listed: ${x.error ?? 'unreachable'}`);
  if (primaries.length === 0 && sides.every((x) => x.reachable) && sides.some((x) => x.exists))
    raise('WARNING', 'no side is primary: promote the one that should serve');
  for (const x of sides) {
    if (x.relation && needsOperator(x.relation) && x.relation !== 'two-primaries' && x.relation !== 'target-is-primary') {
      raise(
        'WARNING',
        `${x.label}: ${x.relation}: replication into it is blocked; zfailover check divergence explains it`,
        s.commands ? fixLine(s.commands.checkDivergence, `prints the fix for ${x.relation}`) : undefined,
      );
    }
  }
  for (const r of s.records) if (r.phase !== 'done') raise('WARNING', `a ${r.action} (epoch ${r.epoch}) did not finish (${r.phase}): re-run it`);
  // The first line is all Monit/Nagios keep: a side that could not be listed comes first, named with the cause,
  // and "0 primaries" is never said when the primary may just be out of sight.
  const down = sides.filter((x) => !x.reachable).map(unreachablePhrase);
  const main =
    primaries.length === 1
      ? `primary ${primaries[0]!.label} (epoch ${primaries[0]!.epoch ?? 0})`
      : primaries.length === 0 && down.length > 0
        ? 'no reachable primary'
        : `${primaries.length} primaries`;
  const replicas = sides
    .filter((x) => x.relation !== null)
    .map((x) => `${x.label} ${x.relation}${x.lag !== null ? `, lag ${x.lag}s` : ''}${x.reversed ? ' (roles reversed)' : ''}`);
  const summary = `job ${s.job}: ${down.length ? `${down.join(', ')}; ` : ''}${main}${replicas.length ? `; ${replicas.join('; ')}` : ''}`;
  return { job: s.job, state, summary, sides, problems, fixes, lastSync: s.lastSync, records: s.records };
};

/** `b:vol2/data unreachable (connection refused)`, or `... cannot be listed (<why>)` when the host answered. */
const unreachablePhrase = (x: SideStatus): string => {
  const why = x.error ?? '';
  const m = /unreachable: (.*)$/.exec(why);
  if (m || why === '') return `${x.label} unreachable${m ? ` (${m[1]})` : ''}`;
  return `${x.label} cannot be listed (${why.length > 60 ? `${why.slice(0, 57)}...` : why})`;
};

/** `of`: the dataset this side replicates (the job's source, or the target that took over), if any. */
const side = (input: SideInput, id: string | null, now: number, of: DatasetInfo | null, reversed: boolean): SideStatus => {
  const source = of;
  const root = input.tree?.datasets.get('') ?? null;
  const newest = root ? newestSnapshot(root.versions) : undefined;
  let relation: Relation | null = null;
  let lag: number | null = null;
  if (source && input.tree) {
    const c = classifyReplica(
      { versions: source.versions, epoch: source.epoch, role: source.role },
      root && {
        versions: root.versions,
        written: root.written,
        resume: root.resumeToken ? { token: root.resumeToken, toGuid: null } : null,
        role: root.role,
        epoch: root.epoch,
      },
    );
    relation = c.relation;
    if (root) lag = computeLag({ versions: source.versions, written: source.written }, { versions: root.versions }, now).rpo;
  }
  return {
    label: input.label,
    id,
    reachable: input.tree !== null,
    exists: root !== null,
    role: root?.role ?? null,
    epoch: root?.epoch ?? null,
    readonly: root?.readonly ?? null,
    mounted: root?.mounted ?? null,
    newest: newest ? { name: newest.name, age: Math.max(0, now - newest.creation) } : null,
    promoted: root?.extra['zfailover:promoted'] ?? null,
    relation,
    lag,
    reversed,
    error: input.error ?? null,
  };
};

/** The demote of the older primary (lower epoch; the source on a tie), or null without commands. */
const twoPrimariesFix = (s: StatusInput, sides: readonly SideStatus[]): string | null => {
  const t = sides.find((x) => x.id !== null && x.role === 'primary');
  const src = sides[0];
  if (!s.commands || !t || !src || t.id === null) return null;
  return (src.epoch ?? 0) <= (t.epoch ?? 0) ? s.commands.demoteSource(t.id) : s.commands.demoteTarget(t.id);
};
