// One snapshot unit (a tree on one host under one policy): list once, plan, run the pre hook, take each due
// label in one `zfs snapshot` call (atomic across the tree), run the post hook, and for the zfs-auto-snapshot
// drop-in prune the label right away. Failures stay with the unit; other units go on.
import { stateForError, worstState, type ServiceState } from '../../outcome.js';
import { oneLine } from '../../errors.js';
import type { Policy } from '../../core/retention/policy.js';
import { decidePrune, type Peer } from '../../core/retention/prune.js';
import type { ResolvedHooks } from '../../core/retention/spec.js';
import type { RunnerPool } from '../../sync/runners.js';
import { destroySnapshots, snapshot } from '../../zfs/commands.js';
import { ZfsError } from '../../zfs/errors.js';
import { listTree } from '../../zfs/list.js';
import { formatSide, type Side } from '../../zfs/side.js';
import type { Capabilities, Runner, SshSettings } from '../../zfs/types.js';
import type { DatasetInfo } from '../../core/dataset.js';
import { runHook, type HookResult } from './hooks.js';
import { optOutProperties, planSnapshots, type SkippedDataset } from './plan.js';

export interface SnapshotUnit {
  readonly side: Side;
  readonly recursive: boolean;
  readonly exclude: readonly string[];
  readonly policy: Policy;
  readonly hooks: ResolvedHooks | null;
  readonly ssh: SshSettings;
  /** Datasets on this unit's host that receive replication (never snapshotted). */
  readonly replicaTargets: readonly string[];
  /** zfs-auto-snapshot drop-in: prune each taken label to its keep count right after. */
  readonly pruneAfter: boolean;
  /** For the drop-in prune: protections from the job state (newest common snapshots). */
  readonly peersFor?: (dataset: DatasetInfo) => Promise<Peer[]>;
}

export interface UnitReport {
  readonly unit: string;
  state: ServiceState;
  datasets: number;
  taken: string[];
  due: Record<string, readonly string[]>;
  skipped: readonly SkippedDataset[];
  pruned: string[];
  problems: string[];
  hooks: { pre?: HookResult; post?: HookResult };
}

export interface UnitDeps {
  readonly runners: RunnerPool;
  readonly now: number;
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
}

export const runUnit = async (unit: SnapshotUnit, deps: UnitDeps): Promise<UnitReport> => {
  const report: UnitReport = { unit: formatSide(unit.side), state: 'OK', datasets: 0, taken: [], due: {}, skipped: [], pruned: [], problems: [], hooks: {} };
  const fail = (state: ServiceState, text: string): void => {
    report.state = worstState([report.state, state]);
    report.problems.push(text);
  };
  let runner: Runner;
  let caps: Capabilities;
  const labels = unit.policy.schedules.map((s) => s.label);
  const list = () => listTree(runner, caps, unit.side.dataset, { recursive: unit.recursive, properties: optOutProperties(labels), signal: deps.signal });
  let listing;
  try {
    runner = deps.runners.runner(unit.side.host, unit.ssh);
    caps = await deps.runners.capabilities(runner);
    listing = await list();
  } catch (e) {
    fail(stateForError(e), `cannot list: ${oneLine(e)}`);
    return report;
  }
  if (!listing.exists) {
    fail('CRITICAL', 'does not exist');
    return report;
  }
  const plan = planSnapshots(
    listing,
    { root: unit.side.dataset, recursive: unit.recursive, exclude: unit.exclude, replicaTargets: unit.replicaTargets },
    unit.policy,
    deps.now,
  );
  report.datasets = plan.datasets.length;
  report.skipped = plan.skipped;
  report.due = Object.fromEntries(plan.due);
  if (plan.calls.length === 0 || deps.dryRun) return report;

  const names = plan.calls.flatMap((c) => c.names);
  const hookCtx = { datasets: [...plan.due.keys()], snapshots: names, labels: plan.calls.map((c) => c.label) };
  let take = true;
  if (unit.hooks?.pre) {
    const pre = await runHook(runner, unit.hooks.pre, { phase: 'pre', ...hookCtx }, unit.hooks.timeoutSeconds, deps.signal);
    report.hooks.pre = pre;
    if (!pre.ok) {
      take = unit.hooks.onPreFailure === 'snapshot';
      fail('WARNING', `pre hook failed (${pre.detail}); ${take ? 'snapshots taken anyway' : 'snapshots skipped'}`);
    }
  }
  if (take) {
    for (const call of plan.calls) {
      try {
        // Several datasets in one call are atomic where the host allows it; zfs-fuse takes one name (or -r).
        if (!caps.multiSnapshot && call.wholeTree)
          await snapshot(runner, caps, [`${unit.side.dataset}@${call.names[0]?.split('@')[1]}`], { recursive: true, signal: deps.signal });
        else await snapshot(runner, caps, call.names, { recursive: false, signal: deps.signal });
        report.taken.push(...call.names);
      } catch (e) {
        // Same label and second as a concurrent run: that run took it.
        if (e instanceof ZfsError && e.reason === 'already-exists') continue;
        fail(stateForError(e), `${call.label}: ${oneLine(e)}`);
      }
    }
  }
  if (unit.hooks?.post) {
    const outcome = !take ? 'skipped' : report.taken.length === names.length ? 'ok' : 'failed';
    const post = await runHook(
      runner,
      unit.hooks.post,
      { phase: 'post', ...hookCtx, outcome, preFailed: report.hooks.pre?.ok === false },
      unit.hooks.timeoutSeconds,
      deps.signal,
    );
    report.hooks.post = post;
    if (!post.ok) fail('WARNING', `post hook failed (${post.detail})`);
  }
  if (unit.pruneAfter && report.taken.length > 0) await pruneAfter(unit, runner, caps, list, report, deps, fail);
  return report;
};

/** The drop-in's `--keep`: prune the labels just taken, with every protection `zfailover prune` applies. */
const pruneAfter = async (
  unit: SnapshotUnit,
  runner: Runner,
  caps: Capabilities,
  list: () => ReturnType<typeof listTree>,
  report: UnitReport,
  deps: UnitDeps,
  fail: (state: ServiceState, text: string) => void,
): Promise<void> => {
  try {
    const listing = await list();
    for (const ds of Object.keys(report.due)) {
      const info = listing.datasets.get(ds);
      if (!info) continue;
      const peers = unit.peersFor ? await unit.peersFor(info) : [];
      const d = decidePrune({ dataset: ds, side: 'source', snapshots: info.versions, policy: unit.policy, peers, now: deps.now });
      if (d.frozen) fail('WARNING', `${ds}: nothing pruned: ${d.frozen}`);
      if (d.destroy.length === 0) continue;
      await destroySnapshots(
        runner,
        caps,
        ds,
        d.destroy.map((v) => v.name),
        { signal: deps.signal },
      );
      report.pruned.push(...d.destroy.map((v) => `${ds}@${v.name}`));
    }
  } catch (e) {
    fail(e instanceof ZfsError && e.reason === 'held' ? 'WARNING' : stateForError(e), `prune: ${oneLine(e)}`);
  }
};
