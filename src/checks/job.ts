// check job: the sync job as its state file, lock and replicas tell it. Per job: failures in a row, a run holding
// the lock too long; per target: age of the last success (thresholds), a named conflict, a partial receive
// pending too long, and whether the newest common snapshot is protected. Pure evaluation; see job-probe.ts.
import { fixLine, zfailoverLine } from '../core/operator-command.js';
import { jobCommands, type JobCommands } from '../sync/invocation.js';
import type { ServiceState } from '../outcome.js';
import { worstState } from '../outcome.js';
import { formatDuration } from '../core/duration.js';
import { oneLine } from '../errors.js';
import type { Evaluation } from '../plugin/check.js';
import type { Perfdatum } from '../plugin/perfdata.js';
import { evaluate, violation, type Thresholds } from '../plugin/range.js';
import type { Finding } from '../plugin/summary.js';
import type { PruneState } from '../actions/prune/state.js';
import type { JobState } from '../state/job-state.js';
import type { LockHolder } from '../state/lock.js';
import type { JobSpec } from '../config/job-spec.js';
import { formatSide } from '../zfs/side.js';
import type { Protection } from './protection.js';

export interface JobData {
  readonly job: JobSpec;
  readonly statePath: string;
  /** null: no run recorded yet; an Error: the file is unreadable or damaged. */
  readonly state: JobState | null | Error;
  readonly lock: { holder: LockHolder | null; alive: boolean } | null;
  /** Per target id: how the newest common snapshot is protected, or why that could not be read. */
  readonly protection: ReadonlyMap<string, Protection | Error>;
  /** The job's prune state (pile-up against its ceiling), null before the first prune, Error when unreadable. */
  readonly prune?: PruneState | null | Error;
}

export interface JobCheckOptions {
  /** On the age of each target's last successful sync (seconds). */
  readonly thresholds: Thresholds;
  readonly failuresWarning: number | null;
  readonly failuresCritical: number | null;
  /** Seconds a run may hold the lock (and a partial receive may wait) before it is reported. */
  readonly maxRuntime: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** How printed commands name a job (default: as given, no --config/--state-dir). */
  readonly commands?: ((job: JobSpec) => JobCommands) | undefined;
  readonly maxDetails?: number | undefined;
}

const dur = (s: number): string => formatDuration(s);

export const evaluateJobs = (data: readonly JobData[], o: JobCheckOptions): Evaluation => {
  const findings: Finding[] = [];
  const ages: number[] = [];
  const failures: number[] = [];
  for (const d of data) {
    const jf = jobFinding(d, o);
    findings.push(jf.finding);
    if (jf.failures !== null) failures.push(jf.failures);
    if (d.state instanceof Error || d.state === null) continue;
    for (const t of d.job.targets) {
      const tf = targetFinding(d, d.state, t.id, formatSide(t.side), o);
      findings.push(tf.finding);
      if (tf.age !== null) ages.push(tf.age);
    }
  }
  const perfdata: Perfdatum[] = [];
  if (ages.length)
    perfdata.push({
      label: 'last_success',
      value: Math.round(Math.max(...ages)),
      uom: 's',
      warning: o.thresholds.warning,
      critical: o.thresholds.critical,
      min: 0,
    });
  if (failures.length) perfdata.push({ label: 'failures', value: Math.max(...failures), min: 0 });
  const piles = data.flatMap((d) => (d.prune && !(d.prune instanceof Error) ? d.prune.datasets : []));
  if (piles.length) {
    const worst = piles.reduce((a, b) => (b.count - b.ceiling > a.count - a.ceiling ? b : a));
    perfdata.push({ label: 'pileup', value: worst.count, warning: { start: 0, end: worst.ceiling, invert: false }, min: 0 });
  }
  const one = data.length === 1 ? data[0] : undefined;
  return {
    noun: 'check',
    findings,
    perfdata,
    okText: one ? jobOkText(one, ages) : `${data.length} jobs OK, oldest success ${dur(Math.max(0, ...ages))} ago`,
    maxDetails: o.maxDetails,
    report: { findings },
  };
};

/**
 * The OK line of one job: "replicated" counts only the targets whose last run succeeded; one that failed its last
 * run (still within the age thresholds, so not yet a problem) is counted as failing and named.
 */
const jobOkText = (d: JobData, ages: readonly number[]): string => {
  const last = `last success ${dur(Math.max(0, ...ages))} ago`;
  const s = d.state instanceof Error || d.state === null ? null : d.state;
  const targets = d.job.targets;
  const failing = targets.filter((t) => s?.targets[t.id]?.lastState !== 'OK');
  const n = targets.length;
  if (failing.length === 0) return `job ${d.job.id}: ${n} target${n === 1 ? '' : 's'} replicated, ${last}`;
  const first = failing[0]!;
  const side = formatSide(first.side);
  // The run's summary of a target starts with the target itself: said once.
  const why = s?.targets[first.id]?.lastSummary.replace(`${side}: `, '');
  return `job ${d.job.id}: ${n - failing.length} of ${n} targets replicated, ${last}; ${failing.length} failing its last run: ${side}${why ? `: ${why}` : ''}`;
};

const jobFinding = (d: JobData, o: JobCheckOptions): { finding: Finding; failures: number | null } => {
  const subject = `job ${d.job.id}`;
  if (d.state instanceof Error) {
    return { finding: { state: 'UNKNOWN', subject, text: oneLine(d.state), hint: (d.state as { hint?: string }).hint }, failures: null };
  }
  const parts: { state: ServiceState; text: string }[] = [];
  const running = d.lock?.alive && d.lock.holder ? (o.now - d.lock.holder.startedAt) / 1000 : null;
  if (d.state === null) {
    // No run ever recorded: maybe the first run is still going, maybe sync never ran. Not OK either way.
    const text = running !== null ? `first run in progress for ${dur(running)}` : `no run recorded yet (${d.statePath})`;
    return { finding: { state: 'UNKNOWN', subject, text, hint: fixLine(syncOf(d.job, o), 'runs it once') }, failures: null };
  }
  const s = d.state;
  const n = s.consecutiveFailures;
  const failState: ServiceState =
    o.failuresCritical !== null && n >= o.failuresCritical ? 'CRITICAL' : o.failuresWarning !== null && n >= o.failuresWarning ? 'WARNING' : 'OK';
  // Below the thresholds the count is still news, but must not read as "OK" next to a failing target.
  const below = failState === 'OK' && o.failuresWarning !== null ? ` (WARNING from ${o.failuresWarning})` : '';
  if (n > 0) parts.push({ state: failState, text: `${n} failed run${n === 1 ? '' : 's'} in a row${below}${s.lastError ? `: ${s.lastError.message}` : ''}` });
  if (d.prune && !(d.prune instanceof Error)) {
    for (const ds of d.prune.datasets) {
      if (ds.count > ds.ceiling) {
        parts.push({ state: 'WARNING', text: `${ds.count} snapshots piled up for lagging targets on ${ds.name} (ceiling ${ds.ceiling}; the oldest go)` });
      }
    }
  }
  if (running !== null && running > o.maxRuntime)
    parts.push({ state: 'WARNING', text: `run of pid ${d.lock?.holder?.pid} holds the lock for ${dur(running)} (> ${dur(o.maxRuntime)})` });
  const notes = [
    ...(s.lastRun
      ? [
          `last run ${dur((o.now - s.lastRun.finishedAt) / 1000)} ago: ${s.lastRun.summary && s.lastRun.summary !== s.lastRun.state ? `${s.lastRun.state}: ${s.lastRun.summary}` : s.lastRun.state}`,
        ]
      : []),
    ...(running !== null ? [`running now (pid ${d.lock?.holder?.pid}, for ${dur(running)})`] : []),
    ...(d.lock && !d.lock.alive ? ['stale lock of a dead run: the next run recovers it'] : []),
    ...(d.prune instanceof Error ? [`prune state unreadable: ${oneLine(d.prune)}`] : []),
  ];
  const state = worstState(parts.map((p) => p.state));
  const text =
    parts
      .filter((p) => p.state === state)
      .map((p) => p.text)
      .join('; ') || 'last run OK';
  return {
    finding: { state, subject, text, notes, ...(state !== 'OK' ? { hint: fixLine(syncOf(d.job, o, '--dry-run'), "shows the next run's plan") } : {}) },
    failures: n,
  };
};

const targetFinding = (d: JobData, s: JobState, id: string, side: string, o: JobCheckOptions): { finding: Finding; age: number | null } => {
  const subject = `job ${d.job.id} -> ${side}`;
  const t = s.targets[id];
  const parts: { state: ServiceState; text: string; hint?: string }[] = [];
  let age: number | null = null;
  if (!t || t.lastSuccessAt === null) {
    parts.push({ state: 'CRITICAL', text: 'never replicated successfully', hint: fixLine(syncOf(d.job, o, '--dry-run'), "shows the next run's plan") });
  } else {
    age = Math.max(0, (o.now - t.lastSuccessAt) / 1000);
    const st = evaluate(age, o.thresholds);
    const r = st === 'CRITICAL' ? o.thresholds.critical : st === 'WARNING' ? o.thresholds.warning : undefined;
    parts.push({ state: st, text: `last success ${dur(age)} ago${r ? ` (${violation(r, age, dur)})` : ''}` });
    // Within the thresholds a failed last run is no problem yet, but the line must not read as "all is well".
    if (t.lastState !== 'OK') parts.push({ state: 'OK', text: `last run ${t.lastState}: ${t.lastSummary}` });
  }
  if (t?.conflict)
    parts.push({
      state: 'CRITICAL',
      text: `conflict ${t.conflict}`,
      hint: fixLine(zfailoverLine(cmdsOf(d.job, o).invocation, ['check', 'divergence']), 'names the command that resolves it'),
    });
  if (t?.resume) {
    const waiting = (o.now - t.resume.since) / 1000;
    parts.push({ state: waiting > o.maxRuntime ? 'WARNING' : 'OK', text: `partial receive pending for ${dur(waiting)}` });
  }
  const p = d.protection.get(id);
  if (p instanceof Error) parts.push({ state: 'OK', text: `protection of the common snapshot not checked: ${oneLine(p)}` });
  else if (p) for (const risk of p.risks) parts.push({ state: 'WARNING', text: risk, hint: p.hint });
  const state = worstState(parts.map((x) => x.state));
  // The line says what is wrong; what is fine goes to the long output.
  const shown = state === 'OK' ? parts : parts.filter((x) => x.state === state);
  const hint = parts.find((x) => x.state === state && x.hint)?.hint;
  const notes = [
    ...(state === 'OK' ? [] : parts.filter((x) => x.state !== state).map((x) => x.text)),
    ...(t ? [`last run: ${t.lastSummary && t.lastSummary !== t.lastState ? `${t.lastState}: ${t.lastSummary}` : t.lastState}`] : []),
    ...(t?.common ? [`newest common @${t.common.name} (guid ${t.common.guid}), created ${dur(o.now / 1000 - t.common.creation)} ago`] : []),
  ];
  return { finding: { state, subject, text: shown.map((x) => x.text).join(', '), notes, ...(hint ? { hint } : {}) }, age };
};

const cmdsOf = (job: JobSpec, o: JobCheckOptions): JobCommands => (o.commands ?? ((j) => jobCommands(j, {})))(job);

export const syncOf = (job: JobSpec, o: JobCheckOptions, ...extra: string[]): string => zfailoverLine(cmdsOf(job, o).invocation, ['sync'], { extra });
