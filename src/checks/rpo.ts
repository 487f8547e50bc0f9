// check rpo: how old is the replica, by GUID. Evaluation is pure: probed listings + thresholds + now -> findings
// and perfdata. Every (dataset, target) pair of every selected job is one finding; the worst state wins.
import { fixLine, zfailoverLine } from '../core/operator-command.js';
import { jobCommands, type JobCommands } from '../sync/invocation.js';
import type { JobSpec } from '../config/job-spec.js';
import { formatDuration, formatSize } from '../core/duration.js';
import { computeLag, replicaLowerBound } from '../core/lag.js';
import { oneLine } from '../errors.js';
import type { Evaluation } from '../plugin/check.js';
import type { Perfdatum } from '../plugin/perfdata.js';
import { evaluate, violation, type Thresholds } from '../plugin/range.js';
import type { Finding } from '../plugin/summary.js';
import { formatSide } from '../zfs/side.js';
import type { JobProbe, ProbedPair, TargetProbe } from './replication-probe.js';

export interface RpoOptions {
  readonly thresholds: Thresholds;
  /** Unix seconds. */
  readonly now: number;
  readonly maxDetails?: number | undefined;
  /** How printed commands name a job (default: as given, no --config/--state-dir). */
  readonly commands?: ((job: JobSpec) => JobCommands) | undefined;
}

interface PairLag {
  readonly rpo: number | null;
  readonly behind: number;
  readonly pending: number | null;
  readonly resumeAge: number | null;
}

const dur = (s: number): string => formatDuration(s);

export const evaluateRpo = (probes: readonly JobProbe[], o: RpoOptions): Evaluation => {
  const items: { finding: Finding; lag?: PairLag }[] = [];
  for (const p of probes) {
    for (const t of p.targets) {
      if (t.error !== null) items.push({ finding: unreadable(t.label, 'cannot list target', t.error) });
      else if (p.source === null) items.push(...sourceDown(p, t, o).map((finding) => ({ finding })));
      else if (!p.source.exists) items.push({ finding: { state: 'UNKNOWN', subject: t.label, text: `source ${formatSide(p.job.source)} does not exist` } });
      else for (const pair of t.pairs) items.push(pairFinding(p, t, pair, o));
    }
  }
  const findings = items.map((i) => i.finding);
  const lags = items.flatMap((i) => (i.lag ? [i.lag] : []));
  const rpos = lags.map((l) => l.rpo).filter((x): x is number => x !== null);
  const perfdata: Perfdatum[] = [];
  if (rpos.length > 0) {
    perfdata.push({ label: 'rpo', value: Math.round(Math.max(...rpos)), uom: 's', warning: o.thresholds.warning, critical: o.thresholds.critical, min: 0 });
  }
  if (lags.length > 0) perfdata.push({ label: 'behind', value: Math.max(...lags.map((l) => l.behind)), min: 0 });
  const pendings = lags.map((l) => l.pending).filter((x): x is number => x !== null);
  if (pendings.length > 0) perfdata.push({ label: 'pending', value: pendings.reduce((a, b) => a + b, 0), uom: 'B', min: 0 });
  const resumes = lags.map((l) => l.resumeAge).filter((x): x is number => x !== null);
  if (resumes.length > 0) perfdata.push({ label: 'resume_age', value: Math.round(Math.max(...resumes)), uom: 's', min: 0 });
  const worst = rpos.length ? Math.max(...rpos) : null;
  return {
    noun: 'dataset',
    findings,
    perfdata,
    okText: worst === null ? undefined : `${findings.length} datasets replicated, worst rpo ${dur(worst)}`,
    prefix: probes.length === 1 && !probes[0]!.job.adhoc ? `job ${probes[0]!.job.id}` : undefined,
    maxDetails: o.maxDetails,
    report: { datasets: items.map((i) => ({ ...i.finding, ...(i.lag ?? {}) })) },
  };
};

const pairFinding = (p: JobProbe, t: TargetProbe, pair: ProbedPair, o: RpoOptions): { finding: Finding; lag?: PairLag } => {
  const subject = formatSide({ host: t.target.side.host, dataset: pair.targetName });
  if (!pair.target) {
    return { finding: { state: 'CRITICAL', subject, text: 'not replicated (target dataset missing)', hint: syncHint(p, o) } };
  }
  const lag = computeLag({ versions: pair.source.versions, written: pair.source.written }, { versions: pair.target.versions }, o.now);
  const resumeTo = pair.resumeToGuid ? pair.source.versions.find((v) => v.guid === pair.resumeToGuid) : undefined;
  const resumeAge = pair.target.resumeToken ? (resumeTo ? Math.max(0, o.now - resumeTo.creation) : 0) : null;
  const notes = [
    ...(lag.common ? [`newest common @${lag.common.target.name} (guid ${lag.common.target.guid})`] : []),
    ...(pair.target.resumeToken ? [`partial receive pending${resumeTo ? ` of @${resumeTo.name}` : ''}: the next sync resumes it`] : []),
  ];
  if (lag.rpo === null) {
    return {
      finding: {
        state: 'CRITICAL',
        subject,
        text: 'no common snapshot with the source (by GUID)',
        hint: fixLine(zfailoverLine(commandsOf(p, o).invocation, ['check', 'divergence']), 'names the conflict and the command that resolves it'),
        notes,
      },
      lag: { rpo: null, behind: lag.behind.length, pending: null, resumeAge },
    };
  }
  const state = evaluate(lag.rpo, o.thresholds);
  const why = state === 'CRITICAL' ? o.thresholds.critical : state === 'WARNING' ? o.thresholds.warning : undefined;
  const parts = [
    `rpo ${lag.current ? '0s (unchanged since the newest snapshot)' : dur(lag.rpo)}${why ? ` (${violation(why, lag.rpo, dur)})` : ''}`,
    ...(lag.behind.length > 0 ? [`${lag.behind.length} snapshot${lag.behind.length === 1 ? '' : 's'} behind`] : []),
    ...(pair.pending ? [`${formatSize(pair.pending)} pending`] : []),
  ];
  return {
    finding: { state, subject, text: parts.join(', '), notes, ...(state !== 'OK' ? { hint: syncHint(p, o) } : {}) },
    lag: { rpo: lag.rpo, behind: lag.behind.length, pending: pair.pending ?? (lag.behind.length === 0 ? 0 : null), resumeAge },
  };
};

/**
 * Source unreadable: the replica's own newest snapshot still bounds the lag from below. When even that bound
 * breaks a threshold the state is known (CRITICAL/WARNING "at least ..."); otherwise it is UNKNOWN, never OK.
 */
const sourceDown = (p: JobProbe, t: TargetProbe, o: RpoOptions): Finding[] => {
  const why = `source ${formatSide(p.job.source)} unreadable: ${oneLine(p.sourceError)}`;
  const datasets = [...(t.listing?.datasets.values() ?? [])].filter((d) => p.job.recursive || d.name === t.target.side.dataset);
  if (datasets.length === 0) return [unreadable(t.label, 'cannot check', p.sourceError)];
  return datasets.map((d) => {
    const subject = formatSide({ host: t.target.side.host, dataset: d.name });
    const bound = replicaLowerBound(d.versions, o.now);
    const state = bound === null ? 'UNKNOWN' : evaluate(bound, o.thresholds);
    if (bound === null || state === 'OK') return { state: 'UNKNOWN' as const, subject, text: why };
    return { state, subject, text: `rpo at least ${dur(bound)} (newest replica snapshot); ${why}` };
  });
};

const unreadable = (subject: string, what: string, e: unknown): Finding => ({
  state: 'UNKNOWN',
  subject,
  text: `${what}: ${oneLine(e)}`,
  hint: (e as { hint?: string })?.hint,
});

/** The commands of a probed job, through the check's invocation (sync/invocation.ts builds them). */
export const commandsOf = (p: JobProbe, o: { commands?: ((job: JobSpec) => JobCommands) | undefined }): JobCommands =>
  (o.commands ?? ((j) => jobCommands(j, {})))(p.job);

/** `zfailover sync ...` for this job, quoted, with `extra` arguments. */
export const syncCommand = (p: JobProbe, o: { commands?: ((job: JobSpec) => JobCommands) | undefined }, ...extra: string[]): string =>
  zfailoverLine(commandsOf(p, o).invocation, ['sync'], { extra });

const syncHint = (p: JobProbe, o: RpoOptions): string => fixLine(syncCommand(p, o, '--dry-run'), 'shows why the sync does not catch up');
