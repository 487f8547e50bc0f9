// check divergence: classifies each replica the way the planner sees it (in sync, behind, modified, newer,
// diverged, no common snapshot, fencing conflicts, two primaries) and names the command that resolves each.
// Pure evaluation over the shared replication probe.
import { classifyReplica, type Classification, type Relation } from '../core/divergence.js';
import type { DatasetInfo } from '../core/dataset.js';
import { oneLine } from '../errors.js';
import type { ServiceState } from '../outcome.js';
import type { Evaluation } from '../plugin/check.js';
import { evaluate, violation, type Thresholds } from '../plugin/range.js';
import type { Finding } from '../plugin/summary.js';
import { describeConflict } from '../sync/conflict-text.js';
import { onJobHost, type JobCommands } from '../sync/invocation.js';
import type { JobSpec } from '../config/job-spec.js';
import { fixLine } from '../core/operator-command.js';
import { formatSide } from '../zfs/side.js';
import type { JobProbe, ProbedPair, TargetProbe } from './replication-probe.js';
import { commandsOf, syncCommand } from './rpo.js';

export interface DivergenceOptions {
  /** Ranges on the number of snapshots the replica is behind (optional). */
  readonly thresholds: Thresholds;
  /** Unix seconds. */
  readonly now: number;
  readonly maxDetails?: number | undefined;
  /** How printed commands name a job (default: as given, no --config/--state-dir). */
  readonly commands?: ((job: JobSpec) => JobCommands) | undefined;
}

const STATE: Readonly<Record<Relation, ServiceState>> = {
  'in-sync': 'OK',
  behind: 'OK',
  absent: 'WARNING',
  'two-primaries': 'CRITICAL',
  'no-source-snapshots': 'CRITICAL',
  'no-common-snapshot': 'CRITICAL',
  diverged: 'CRITICAL',
  'snapshot-name-reused': 'CRITICAL',
  'target-newer': 'CRITICAL',
  'target-modified': 'CRITICAL',
  'target-is-primary': 'CRITICAL',
  'target-epoch-higher': 'CRITICAL',
  'source-not-primary': 'CRITICAL',
  'promotion-in-progress': 'WARNING',
  unsafe: 'CRITICAL',
};

export const evaluateDivergence = (probes: readonly JobProbe[], o: DivergenceOptions): Evaluation => {
  const items: { finding: Finding; relation?: Relation }[] = [];
  for (const p of probes) {
    for (const t of p.targets) {
      if (t.error !== null) items.push({ finding: { state: 'UNKNOWN', subject: t.label, text: `cannot list target: ${oneLine(t.error)}` } });
      else if (p.source === null)
        items.push({ finding: { state: 'UNKNOWN', subject: t.label, text: `cannot list source ${formatSide(p.job.source)}: ${oneLine(p.sourceError)}` } });
      else if (!p.source.exists) items.push({ finding: { state: 'UNKNOWN', subject: t.label, text: `source ${formatSide(p.job.source)} does not exist` } });
      else for (const pair of t.pairs) items.push(pairFinding(p, t, pair, o));
    }
  }
  const findings = items.map((i) => i.finding);
  const count = (r: Relation): number => items.filter((i) => i.relation === r).length;
  return {
    noun: 'replica',
    findings,
    // A replica that could not be read leaves every count undeterminable: no perfdata rather than a wrong 0.
    perfdata: items.some((i) => i.relation === undefined)
      ? []
      : [
          { label: 'in_sync', value: count('in-sync'), min: 0 },
          { label: 'behind', value: count('behind'), min: 0 },
          { label: 'conflicts', value: items.filter((i) => i.relation && STATE[i.relation] === 'CRITICAL').length, min: 0 },
        ],
    okText: `${count('in-sync')} in sync${count('behind') > 0 ? `, ${count('behind')} behind (the next sync sends them)` : ''}`,
    prefix: probes.length === 1 && !probes[0]!.job.adhoc ? `job ${probes[0]!.job.id}` : undefined,
    maxDetails: o.maxDetails,
    report: { replicas: items.map((i) => ({ ...i.finding, relation: i.relation ?? null })) },
  };
};

const pairFinding = (p: JobProbe, t: TargetProbe, pair: ProbedPair, o: DivergenceOptions): { finding: Finding; relation: Relation } => {
  const subject = formatSide({ host: t.target.side.host, dataset: pair.targetName });
  const c = classifyReplica(
    { versions: pair.source.versions, epoch: pair.source.epoch, role: pair.source.role },
    pair.target && {
      versions: pair.target.versions,
      written: pair.target.written,
      resume: pair.target.resumeToken ? { token: pair.target.resumeToken, toGuid: pair.resumeToGuid } : null,
      role: pair.target.role,
      epoch: pair.target.epoch,
    },
  );
  const notes = [roles(pair.source, pair.target), ...(c.resumePending ? ['a partial receive is pending: the next sync resumes (or aborts) it'] : [])];
  let state = STATE[c.relation];
  let { text, hint } = describe(c, p, t, pair, o);
  if (c.relation === 'behind' || c.relation === 'in-sync') {
    const n = c.sourceOnly.length;
    const s = evaluate(n, o.thresholds);
    if (s !== 'OK') {
      state = s;
      const r = s === 'CRITICAL' ? o.thresholds.critical : o.thresholds.warning;
      text += r ? ` (${violation(r, n)})` : '';
      hint = fixLine(syncCommand(p, o, '--dry-run'), 'shows why the sync does not catch up');
    }
  }
  return { finding: { state, subject, text, hint, notes }, relation: c.relation };
};

const describe = (c: Classification, p: JobProbe, t: TargetProbe, pair: ProbedPair, o: DivergenceOptions): { text: string; hint?: string } => {
  const target = pair.targetName;
  const targetHost = t.target.side.host;
  switch (c.relation) {
    case 'in-sync':
      return { text: `in sync at @${c.common?.target.name}` };
    case 'behind':
      return { text: `behind by ${c.sourceOnly.length} snapshot${c.sourceOnly.length === 1 ? '' : 's'} (common @${c.common?.target.name ?? '-'})` };
    case 'absent':
      return { text: 'target dataset does not exist yet', hint: fixLine(syncCommand(p, o), 'creates it') };
    case 'two-primaries':
      return {
        text: `two primaries: ${formatSide(p.job.source)} and ${target} both carry zfailover:role=primary`,
        hint: fixLine(
          commandsOf(p, o).demoteTarget(t.target.id),
          `if ${formatSide(p.job.source)} serves; if ${formatSide({ host: targetHost, dataset: target })} serves instead: ${commandsOf(p, o).demoteSource(t.target.id)}. Either keeps the demoted side's writes aside`,
        ),
      };
  }
  if (c.decision.kind !== 'conflict') return { text: c.relation };
  const cmds = commandsOf(p, o);
  const d = describeConflict(c.decision, {
    invocation: cmds.invocation,
    target,
    source: pair.source.name,
    onTarget: (stages) => onJobHost(p.job, targetHost ?? null, stages),
    onSource: (stages) => onJobHost(p.job, p.job.source.host, stages),
    demoteSource: cmds.demoteSource(t.target.id),
    demoteTarget: cmds.demoteTarget(t.target.id),
    now: o.now * 1000,
  });
  // The subject already names the target; sync's message starts with it too.
  const message = d.message.startsWith(`${target} `) ? d.message.slice(target.length + 1) : d.message;
  return { text: `${c.relation}: ${message}`, hint: d.hint };
};

const roles = (s: DatasetInfo, t: DatasetInfo | null): string => {
  const one = (d: DatasetInfo | null): string => (d ? `role=${d.role ?? '-'} epoch=${d.epoch ?? '-'}` : 'absent');
  return `source ${one(s)}; target ${one(t)}`;
};
