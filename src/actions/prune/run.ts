// One prune run: list every side once, build each dataset's decision (policy, replication cursors, the count
// seen last time), then destroy in one batched `zfs destroy ds@a,b,c` per dataset. Source datasets are
// governed by `snapshots:` entries, replica datasets by their job target's `keep:`; a dataset with neither
// is not touched.
import type { DatasetInfo } from '../../core/dataset.js';
import { joinName, relativeName } from '../../core/dataset.js';
import type { Policy } from '../../core/retention/policy.js';
import { countDropLooksImplausible, decidePrune, type Peer, type PruneDecision } from '../../core/retention/prune.js';
import type { LoadedConfig } from '../../config/loaded.js';
import { oneLine } from '../../errors.js';
import { stateForError, type ServiceState } from '../../outcome.js';
import { readJobState, type JobState } from '../../state/job-state.js';
import type { JobSpec } from '../../config/job-spec.js';
import type { RunnerPool } from '../../sync/runners.js';
import { destroySnapshots } from '../../zfs/commands.js';
import { ZfsError } from '../../zfs/errors.js';
import { formatSide, type Side } from '../../zfs/side.js';
import type { Capabilities, Runner, SshSettings } from '../../zfs/types.js';
import { entryFor, targetPolicy, type SnapshotEntry } from '../../config/retention.js';
import { relativeInJob, sourcePeer, targetPeer, type SideView } from './peers.js';
import { readPruneState, type PruneState } from './state.js';
import { Views, type View } from './views.js';

export interface PruneRunInput {
  readonly loaded: LoadedConfig;
  readonly entries: readonly SnapshotEntry[];
  /** Every configured job: any of them may replicate a dataset being pruned. */
  readonly jobs: readonly JobSpec[];
  /** `--job`: prune only these jobs' trees; null: every entry and every job. */
  readonly selected: readonly JobSpec[] | null;
  readonly stateDir: string;
  readonly now: number;
  readonly signal: AbortSignal;
  readonly runners: RunnerPool;
  readonly dryRun: boolean;
  /** Prune even when a listing looks truncated (after the operator checked it). */
  readonly trustListing: boolean;
  readonly entrySsh: SshSettings;
}

export interface DatasetPrune {
  /** `source`, or `<job>/<target>`. */
  readonly role: string;
  readonly where: Side;
  /** State files (job ids or entry roots) this dataset is recorded in. */
  readonly stateNames: readonly string[];
  readonly policy: Policy;
  readonly decision: PruneDecision;
  readonly runner: Runner;
  readonly caps: Capabilities;
  destroyed: string[];
  failure: { state: ServiceState; message: string } | null;
}

export interface Problem {
  /**
   * unreadable: a side this dataset set depends on could not be listed (nothing known about it)
   * fallback:   a target could not be listed; its source is protected from the job state instead
   * missing:    a configured dataset does not exist
   * state:      a state file is damaged
   */
  readonly kind: 'unreadable' | 'fallback' | 'missing' | 'state';
  readonly state: ServiceState;
  readonly subject: string;
  readonly text: string;
}

export interface PruneRunResult {
  readonly datasets: DatasetPrune[];
  readonly problems: Problem[];
}

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);
const key = (s: Side): string => formatSide(s);

export const runPrune = async (input: PruneRunInput): Promise<PruneRunResult> => {
  const views = new Views(input.runners, input.signal);
  const problems: Problem[] = [];
  const reported = new Set<string>();
  const problem = (p: Problem): void => {
    const k = `${p.subject}|${p.text}`;
    if (!reported.has(k)) problems.push(p);
    reported.add(k);
  };
  const jobStates = new Map<string, Promise<JobState | null>>();
  const jobState = (job: JobSpec): Promise<JobState | null> => {
    let s = jobStates.get(job.id);
    if (!s) {
      s = readJobState(input.stateDir, job.id).catch((e: unknown) => {
        problem({ kind: 'state', state: 'WARNING', subject: `job ${job.id}`, text: `job state unreadable (${oneLine(e)})` });
        return null;
      });
      jobStates.set(job.id, s);
    }
    return s;
  };
  const previous = await previousCounts(input);
  const asSideView = (v: View): SideView => (v.ok ? { ok: true, listing: v.listing } : { ok: false, why: v.why });

  /** Targets of every job that replicates `side`, as peers of that source dataset. */
  const sourcePeers = async (side: Side, info: DatasetInfo, policy: Policy | null): Promise<{ peers: Peer[]; jobs: string[] }> => {
    const peers: Peer[] = [];
    const jobs: string[] = [];
    for (const job of input.jobs) {
      const rel = relativeInJob(job, side);
      if (rel === null) continue;
      jobs.push(job.id);
      const state = await jobState(job);
      for (const [i, t] of job.targets.entries()) {
        const view = await views.get(t.side, job.recursive, job.ssh);
        if (!view.ok)
          problem({ kind: 'fallback', state: 'WARNING', subject: `${job.id}/${t.id}`, text: `${view.why}; protecting what the job state remembers` });
        const tPolicy = targetPolicy(input.loaded, job, i, policy);
        peers.push(
          sourcePeer({
            job,
            targetIndex: i,
            rel,
            source: info,
            targetView: asSideView(view),
            stateCommon: state?.targets[t.id]?.common,
            stateTarget: state?.targets[t.id],
            targetPolicy: tPolicy,
          }),
        );
      }
    }
    return { peers, jobs };
  };

  const out: DatasetPrune[] = [];
  const done = new Set<string>();
  const decide = (
    role: string,
    where: Side,
    info: DatasetInfo,
    policy: Policy,
    peers: Peer[],
    stateNames: string[],
    view: Extract<View, { ok: true }>,
  ): void => {
    const count = info.versions.filter((v) => v.kind === 'snapshot').length;
    const before = previous.get(`${role}|${key(where)}`);
    const freeze =
      !input.trustListing && countDropLooksImplausible(before, count)
        ? `snapshot count fell from ${before} to ${count} since the last prune: listing looks incomplete (re-run with --trust-listing if that is right)`
        : undefined;
    const decision = decidePrune({
      dataset: info.name,
      side: role === 'source' ? 'source' : 'target',
      snapshots: info.versions,
      policy,
      peers,
      now: input.now,
      ...(freeze ? { freeze } : {}),
    });
    out.push({ role, where, stateNames, policy, decision, runner: view.runner, caps: view.caps, destroyed: [], failure: null });
  };

  // Replica datasets first: a dataset that is some job's target is governed by that job's keep policy.
  const targetKeys = new Set<string>();
  for (const job of input.jobs) for (const t of job.targets) targetKeys.add(key(t.side));
  for (const job of input.selected ?? input.jobs) {
    const sourceView = await views.get(job.source, job.recursive, job.ssh);
    const state = await jobState(job);
    for (const [i, t] of job.targets.entries()) {
      const view = await views.get(t.side, job.recursive, job.ssh);
      if (!view.ok) {
        problem({ kind: 'unreadable', state: view.state === 'CRITICAL' ? 'CRITICAL' : 'WARNING', subject: `${job.id}/${t.id}`, text: view.why });
        continue;
      }
      for (const info of view.listing.datasets.values()) {
        const rel = relativeName(t.side.dataset, info.name);
        if (rel === null || (rel !== '' && !job.recursive)) continue;
        const sourceName = joinName(job.source.dataset, rel);
        if (job.exclude.some((x) => within(x, sourceName))) continue;
        const where = { ...t.side, dataset: info.name };
        if (done.has(key(where))) continue;
        const entry = entryFor(input.entries, { ...job.source, dataset: sourceName });
        const policy = targetPolicy(input.loaded, job, i, entry?.policy ?? null);
        if (!policy) continue;
        done.add(key(where));
        const peers = [
          targetPeer({
            job,
            rel,
            target: info,
            sourceView: asSideView(sourceView),
            stateCommon: state?.targets[t.id]?.common,
            stateTarget: state?.targets[t.id],
          }),
        ];
        // A replica that is itself replicated further (cascade) also keeps what its own targets need.
        peers.push(...(await sourcePeers(where, info, policy)).peers);
        decide(`${job.id}/${t.id}`, where, info, policy, peers, [job.id], view);
      }
    }
  }

  const sourceScopes = input.selected
    ? input.selected.map((j) => ({ side: j.source, recursive: j.recursive, exclude: j.exclude, ssh: j.ssh }))
    : input.entries.map((e) => ({ side: e.side, recursive: e.recursive, exclude: e.exclude, ssh: input.entrySsh }));
  for (const scope of sourceScopes) {
    const view = await views.get(scope.side, scope.recursive, scope.ssh);
    if (!view.ok) {
      problem({ kind: 'unreadable', state: view.state, subject: formatSide(scope.side), text: view.why });
      continue;
    }
    if (!view.listing.exists) {
      problem({ kind: 'missing', state: 'WARNING', subject: formatSide(scope.side), text: 'does not exist (nothing pruned)' });
      continue;
    }
    for (const info of view.listing.datasets.values()) {
      if ((!scope.recursive && info.name !== scope.side.dataset) || scope.exclude.some((x) => within(x, info.name))) continue;
      const where = { ...scope.side, dataset: info.name };
      if (done.has(key(where)) || targetKeys.has(key(where))) continue;
      const entry = entryFor(input.entries, where);
      if (!entry) continue;
      done.add(key(where));
      const { peers, jobs } = await sourcePeers(where, info, entry.policy);
      decide('source', where, info, entry.policy, peers, jobs.length > 0 ? jobs : [formatSide(entry.side)], view);
    }
  }

  if (!input.dryRun) await execute(out, input.signal);
  return { datasets: out, problems };
};

/** One batched destroy per dataset; a failure stays with its dataset and the others go on. */
const execute = async (datasets: DatasetPrune[], signal: AbortSignal): Promise<void> => {
  for (const d of datasets) {
    if (signal.aborted) break;
    const names = d.decision.destroy.map((v) => v.name);
    if (names.length === 0) continue;
    try {
      await destroySnapshots(d.runner, d.caps, d.decision.dataset, names, { signal });
      d.destroyed = names;
    } catch (e) {
      // A hold placed since the listing (a sync moving its cursor) is a race, not a fault: next run decides again.
      d.failure = { state: e instanceof ZfsError && e.reason === 'held' ? 'WARNING' : stateForError(e), message: oneLine(e) };
    }
  }
};

/** Snapshot counts recorded by the last run, keyed `role|side`. */
const previousCounts = async (input: PruneRunInput): Promise<Map<string, number>> => {
  const names = new Set<string>([...input.jobs.map((j) => j.id), ...input.entries.map((e) => formatSide(e.side))]);
  const m = new Map<string, number>();
  for (const name of names) {
    let s: PruneState | null = null;
    try {
      s = await readPruneState(input.stateDir, name);
    } catch {
      // A damaged prune state only costs the truncation check for one run; it is rewritten below.
    }
    for (const d of s?.datasets ?? []) m.set(`${d.side}|${d.name}`, d.snapshots);
  }
  return m;
};
