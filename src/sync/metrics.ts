// What a sync run tells Prometheus (docs/parts/metrics.md): the per-run families of core/metrics/run.ts plus,
// per target and replicated dataset, the replica's lag, snapshots behind, conflicts, pending resume, role and
// epoch. Pure (time passed in); labels are zfailover_job, target id, dataset name, a bounded conflict kind or role, never
// a snapshot name.
import { joinName, type DatasetInfo, type Listing } from '../core/dataset.js';
import type { MetricFamily, Sample } from '../core/metrics/exposition.js';
import { runFamilies, STATE_VALUE, type RunCounters } from '../core/metrics/run.js';
import type { JobState } from '../state/job-state.js';
import type { JobSpec } from './job.js';
import type { JobReport } from './report.js';

/** Every conflict kind the planner names (errors.ts ConflictName), plus `other` for anything else recorded. */
export const CONFLICT_KINDS = [
  'no-source-snapshots',
  'no-common-snapshot',
  'diverged',
  'target-newer',
  'target-modified',
  'target-is-primary',
  'target-epoch-higher',
  'source-not-primary',
  'two-primaries',
  'promotion-in-progress',
  'unsafe',
  'other',
] as const;

const ROLES = ['primary', 'replica', 'none'] as const;

/** How `sync` publishes: where, and the RPO thresholds the config sets (checks.rpo) for the alert rules. */
export interface SyncMetricsSettings {
  readonly textfileDir: string;
  /** Seconds; absent when the config leaves them to the rules' defaults (or sets a range with no plain upper bound). */
  readonly lagWarning?: number;
  readonly lagCritical?: number;
}

/** The plain upper bound of a Nagios range (`2m`, `0:2m`, `~:2m`), or undefined for any other shape. */
export const upperBound = (r: { start: number; end: number; invert: boolean } | undefined): number | undefined =>
  r && !r.invert && (r.start === 0 || r.start === -Infinity) && Number.isFinite(r.end) ? r.end : undefined;

export interface SyncMetricsInput {
  readonly job: JobSpec;
  /** The job state as just written (after this run). */
  readonly state: JobState;
  readonly report: JobReport;
  readonly counters: RunCounters;
  /** The source listing of this run, when the source could be listed. */
  readonly source?: Listing;
  /** The source root as it is after this run's role update (else its listing's entry is used). */
  readonly sourceRoot?: DatasetInfo;
  /** Target id -> its root dataset info as listed at the start of this run, when the target could be listed. */
  readonly targetRoots?: ReadonlyMap<string, DatasetInfo | null>;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly settings?: Pick<SyncMetricsSettings, 'lagWarning' | 'lagCritical'>;
}

const family = (name: string, help: string, samples: Sample[], type: 'gauge' | 'counter' = 'gauge'): MetricFamily => ({ name, help, type, samples });

/** Source snapshots newer than the one with `guid` on `dataset`; null when the listing does not show it. */
const behindOf = (source: Listing | undefined, dataset: string, guid: string): number | null => {
  const ds = source?.datasets.get(dataset);
  if (!ds) return null;
  const base = ds.versions.find((v) => v.guid === guid);
  if (!base) return null;
  return ds.versions.filter((v) => v.kind === 'snapshot' && v.createtxg > base.createtxg).length;
};

export const syncFamilies = (m: SyncMetricsInput): MetricFamily[] => {
  const { job, state, report } = m;
  const lag: Sample[] = [];
  const commonAt: Sample[] = [];
  const behind: Sample[] = [];
  const conflict: Sample[] = [];
  const resume: Sample[] = [];
  const resumeSince: Sample[] = [];
  const targetState: Sample[] = [];
  const targetSuccess: Sample[] = [];
  const lastBytes: Sample[] = [];
  const bytesTotal: Sample[] = [];
  const role: Sample[] = [];
  const epoch: Sample[] = [];
  const roleOf = (labels: Record<string, string>, info: DatasetInfo): void => {
    const r = info.role ?? 'none';
    for (const x of ROLES) role.push({ labels: { ...labels, role: x }, value: x === r ? 1 : 0 });
    epoch.push({ labels, value: info.epoch ?? 0 });
  };
  const sourceRoot = m.sourceRoot ?? m.source?.datasets.get(job.source.dataset);
  if (sourceRoot) roleOf({ zfailover_job: job.id, side: 'source', target: '', dataset: job.source.dataset }, sourceRoot);
  for (const spec of job.targets) {
    const t = state.targets[spec.id];
    const tl = { zfailover_job: job.id, target: spec.id };
    bytesTotal.push({ labels: tl, value: m.counters.bytes[spec.id] ?? 0 });
    const root = m.targetRoots?.get(spec.id);
    if (root) roleOf({ zfailover_job: job.id, side: 'target', target: spec.id, dataset: spec.side.dataset }, root);
    if (!t) continue;
    targetState.push({ labels: tl, value: STATE_VALUE[t.lastState] });
    if (t.lastSuccessAt !== null) targetSuccess.push({ labels: tl, value: t.lastSuccessAt / 1000 });
    const inRun = report.targets.find((x) => x.id === spec.id);
    lastBytes.push({ labels: tl, value: inRun ? inRun.datasets.reduce((s, d) => s + d.bytes, 0) : 0 });
    const known = t.conflict === null ? null : (CONFLICT_KINDS as readonly string[]).includes(t.conflict) ? t.conflict : 'other';
    for (const kind of CONFLICT_KINDS) conflict.push({ labels: { ...tl, kind }, value: kind === known ? 1 : 0 });
    resume.push({ labels: tl, value: t.resume ? 1 : 0 });
    if (t.resume) resumeSince.push({ labels: tl, value: t.resume.since / 1000 });
    const commons = new Map(Object.entries(t.datasets ?? {}));
    if (t.common && !commons.has('')) commons.set('', t.common);
    for (const [rel, c] of [...commons].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const dataset = joinName(job.source.dataset, rel);
      const dl = { ...tl, dataset };
      commonAt.push({ labels: dl, value: c.creation });
      lag.push({ labels: dl, value: Math.max(0, m.now / 1000 - c.creation) });
      const n = behindOf(m.source, dataset, c.guid);
      if (n !== null) behind.push({ labels: dl, value: n });
    }
  }
  const thresholds: Sample[] = [];
  for (const [severity, v] of [
    ['warning', m.settings?.lagWarning],
    ['critical', m.settings?.lagCritical],
  ] as const) {
    if (v !== undefined) thresholds.push({ labels: { zfailover_job: job.id, severity }, value: v });
  }
  const lastSuccessAt = state.lastSuccess?.at ?? null;
  return [
    ...runFamilies({
      command: 'sync',
      job: job.id,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      state: report.state,
      lastSuccessAt,
      consecutiveFailures: state.consecutiveFailures,
      counters: m.counters,
    }),
    family('zfailover_replication_lag_seconds', 'Age of the newest snapshot the replica shares with the source (by GUID) when the run ended, seconds.', lag),
    family(
      'zfailover_replication_common_snapshot_timestamp_seconds',
      'Creation time of the newest snapshot the replica shares with the source, unix seconds (time() minus it is the live lag).',
      commonAt,
    ),
    family(
      'zfailover_replication_lag_threshold_seconds',
      'RPO threshold the config sets for this job (checks.rpo); the alert rules use their defaults when absent.',
      thresholds,
    ),
    family('zfailover_replication_snapshots_behind', 'Source snapshots newer than the newest common one.', behind),
    family('zfailover_replication_conflict', 'A conflict blocks replication to this target (1 for the kind present, 0 for the others).', conflict),
    family('zfailover_replication_resume_pending', 'A partial receive waits on the target to be resumed (1) or not (0).', resume),
    family('zfailover_replication_resume_pending_since_timestamp_seconds', 'When the pending partial receive was first seen, unix seconds.', resumeSince),
    family('zfailover_target_last_run_state', 'How the last run ended for this target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', targetState),
    family(
      'zfailover_target_last_success_timestamp_seconds',
      'End time of the last run that replicated to this target without error, unix seconds.',
      targetSuccess,
    ),
    family('zfailover_sync_last_run_sent_bytes', 'Bytes sent to this target by the last run.', lastBytes),
    family('zfailover_sync_sent_bytes_total', 'Bytes sent to this target by all runs (kept in the state directory).', bytesTotal, 'counter'),
    family('zfailover_dataset_role', 'zfailover:role of the root dataset on each side (1 for the role it has, 0 for the others; none = unset).', role),
    family('zfailover_dataset_epoch', 'zfailover:epoch of the root dataset on each side (0 when unset).', epoch),
  ];
};
