// Target phase of a cycle, for one target: list it once, plan every dataset pair, run the steps (parents first),
// confirm what arrived by GUID, then move the cursor and hold. Errors stay inside this target's report, so a
// dead target never stops the others.
import type { Logger } from 'pino';
import { newestCommon } from '../core/common.js';
import type { DatasetInfo, Listing } from '../core/dataset.js';
import { applySteps, planReplication, type Decision, type Step, type TargetState } from '../core/plan.js';
import { resolveConflict, rollbackUnknownWrites } from '../core/resolve.js';
import { fullName, type Version } from '../core/versions.js';
import { formatSize } from '../core/duration.js';
import { ConflictError, oneLine, type ConflictName } from '../errors.js';
import { stateForError, worstState, type ServiceState } from '../cli/exit.js';
import { listTree } from '../zfs/list.js';
import { getVersions } from '../zfs/commands.js';
import { abortResume, resumeTokenInfo, rollback } from '../zfs/commands-dataset.js';
import { ZfsError } from '../zfs/errors.js';
import { formatSide } from '../zfs/side.js';
import type { Capabilities, Runner } from '../zfs/types.js';
import { describeConflict, sshShellPrefix } from './conflict-text.js';
import type { PhaseHook } from './phases.js';
import { capsForPool, type PoolCapsCache } from './pool-caps.js';
import type { JobSpec, TargetSpec } from './job.js';
import { pairDatasets, parentRel, type DatasetPair } from './pairs.js';
import type { DatasetReport, StepReport, TargetReport } from './report.js';
import type { SourceView } from './source.js';
import { describeProcesses, runTransfer, stepLabel, stepProcesses } from './transfer.js';
import { afterFullReceive } from './receive-fixups.js';
import { moveCursors } from './cursor.js';
import { applyRoleUpdate, targetRoleUpdate } from './roles.js';

export interface TargetContext {
  readonly job: JobSpec;
  readonly target: TargetSpec;
  readonly source: SourceView;
  readonly runner: Runner;
  readonly caps: Capabilities;
  readonly now: number;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly onSpawn: (pids: number[]) => void;
  readonly syncCommand: string;
  readonly progress?: (line: string) => void;
  /** Fault-injection seam (sync/phases.ts); absent in production. */
  readonly phase?: PhaseHook;
  /** Pool-narrowed capabilities, shared by the cycle's targets (sync/pool-caps.ts). */
  readonly pools: PoolCapsCache;
}

/** What the source-side cleanup needs to know about this target, per dataset (relative name). */
export interface TargetOutcome {
  readonly report: TargetReport;
  /** rel -> target versions after this cycle, or null when the target could not be listed. */
  readonly versions: ReadonlyMap<string, readonly Version[]> | null;
  /** rel -> GUID of the newest common version after this cycle. */
  readonly commons: ReadonlyMap<string, string>;
  /** Source snapshots (full names) that got this target's hold, and that lost it, this cycle. */
  readonly sourceHolds?: { readonly held: readonly string[]; readonly released: readonly string[] };
  /** The target's listing at the start of this cycle (every dataset under its root), when it could be listed. */
  readonly listing?: Listing;
}

export const syncTarget = async (ctx: TargetContext): Promise<TargetOutcome> => {
  const { job, target } = ctx;
  const side = formatSide(target.side);
  let listing: Listing;
  try {
    listing = await listTree(ctx.runner, ctx.caps, target.side.dataset, { recursive: job.recursive, columns: 'replication' });
  } catch (e) {
    return failedTarget(target, side, e);
  }
  const pairing = pairDatasets(ctx.source.listing, listing, { recursive: job.recursive, exclude: job.exclude });
  const reports: DatasetReport[] = [];
  const versions = new Map<string, readonly Version[]>();
  const commons = new Map<string, string>();
  const failedRels = new Set<string>();
  const received: { pair: DatasetPair; newest: Version }[] = [];

  for (const pair of pairing.pairs) {
    const parent = parentRel(pair.rel);
    if (pair.target === null && parent !== null && failedRels.has(parent)) {
      failedRels.add(pair.rel);
      reports.push(datasetReport(pair, 'WARNING', 'skipped', [], { message: 'parent was not replicated this cycle' }));
      continue;
    }
    const r = await syncPair(ctx, pair);
    reports.push(r.report);
    if (r.report.state !== 'OK') failedRels.add(pair.rel);
    versions.set(pair.rel, r.targetVersions);
    if (r.commonGuid) commons.set(pair.rel, r.commonGuid);
    if (r.newest) received.push({ pair, newest: r.newest });
  }

  if (!ctx.dryRun && received.length > 0) {
    await ctx.phase?.('received');
    await confirmReceived(ctx, received, reports);
    await ctx.phase?.('confirmed');
  }
  const root = pairing.pairs.find((p) => p.rel === '');
  if (!ctx.dryRun && root) {
    const rootOk = reports[pairing.pairs.indexOf(root)]?.state === 'OK';
    await applyRoleUpdate(ctx.runner, ctx.caps, root.targetName, targetRoleUpdate(root.source, root.target, rootOk && versions.has('')), ctx.log);
  }
  const destroyed: string[] = [];
  let sourceHolds: TargetOutcome['sourceHolds'];
  if (!ctx.dryRun) {
    try {
      // After transfers the source pool's features are known (bookmarks need its `bookmarks` feature).
      const root = ctx.pools.size > 0 ? await forTransfer(ctx, ctx.source.listing.root, target.side.dataset) : ctx;
      const moves = await moveCursors(root, pairing.pairs, versions, commons);
      destroyed.push(...moves.destroyed);
      adjustHoldCounts(pairing.pairs, versions, moves.held, moves.released);
      sourceHolds = { held: moves.sourceHeld, released: moves.sourceReleased };
    } catch (e) {
      ctx.log.warn({ err: e, target: side }, 'moving cursor/hold failed; retried next cycle');
    }
  }
  const state = worstState(reports.map((d) => d.state));
  return {
    report: { id: target.id, side, state, datasets: reports, orphans: pairing.orphans, destroyed },
    versions,
    commons,
    listing,
    ...(sourceHolds ? { sourceHolds } : {}),
  };
};

/** Keep the in-memory userrefs true after our hold moved, so cleanup may destroy what we just released. */
const adjustHoldCounts = (pairs: readonly DatasetPair[], versions: Map<string, readonly Version[]>, held: readonly string[], released: readonly string[]): void => {
  const delta = new Map<string, number>();
  for (const n of held) delta.set(n, (delta.get(n) ?? 0) + 1);
  for (const n of released) delta.set(n, (delta.get(n) ?? 0) - 1);
  for (const pair of pairs) {
    const vs = versions.get(pair.rel);
    if (!vs) continue;
    versions.set(
      pair.rel,
      vs.map((v) => {
        const d = delta.get(`${pair.targetName}@${v.name}`);
        return d === undefined || v.kind !== 'snapshot' ? v : { ...v, userrefs: Math.max(0, (v.userrefs ?? 0) + d) };
      }),
    );
  }
};

interface PairResult {
  readonly report: DatasetReport;
  readonly targetVersions: readonly Version[];
  readonly commonGuid: string | null;
  /** Source snapshot now on the target (to confirm), when steps ran. */
  readonly newest: Version | null;
}

const targetStateOf = (ds: DatasetInfo, toGuid: string | null): TargetState => ({
  versions: ds.versions,
  written: ds.written,
  resume: ds.resumeToken ? { token: ds.resumeToken, toGuid } : null,
  role: ds.role,
  epoch: ds.epoch,
});

const decide = async (ctx: TargetContext, pair: DatasetPair): Promise<Decision> => {
  let toGuid: string | null = null;
  if (pair.target?.resumeToken) {
    try {
      toGuid = (await resumeTokenInfo(ctx.source.runner, pair.target.resumeToken)).toGuid;
    } catch (e) {
      ctx.log.warn({ err: e, dataset: pair.targetName }, 'resume token unreadable; the partial receive will be aborted');
    }
  }
  const options = { initial: ctx.job.initial, intermediates: true };
  const target = pair.target ? targetStateOf(pair.target, toGuid) : null;
  const decision = planReplication({ versions: pair.source.versions, epoch: pair.source.epoch }, target, options);
  const policy = { rollbackTarget: ctx.job.rollbackTarget };
  return rollbackUnknownWrites(resolveConflict(decision, policy, options), policy, target?.written !== null);
};

/** The context a transfer of `pair` runs in: both ends' capabilities narrowed by their pools' features. */
const forTransfer = async (ctx: TargetContext, sourceDataset: string, targetName: string): Promise<TargetContext> => {
  const [sourceCaps, targetCaps] = await Promise.all([
    capsForPool(ctx.pools, ctx.source.runner, ctx.source.caps, sourceDataset, ctx.log, ctx.signal),
    capsForPool(ctx.pools, ctx.runner, ctx.caps, targetName, ctx.log, ctx.signal),
  ]);
  return { ...ctx, caps: targetCaps, source: { ...ctx.source, caps: sourceCaps } };
};

const syncPair = async (ctx: TargetContext, pair: DatasetPair): Promise<PairResult> => {
  const before = pair.target?.versions ?? [];
  const decision = await decide(ctx, pair);
  const commonNow = pair.target ? newestCommon(pair.source.versions, before) : null;
  if (decision.kind === 'conflict') {
    const text = describeConflict(decision, {
      syncCommand: ctx.syncCommand,
      target: pair.targetName,
      targetShell: sshShellPrefix(ctx.target.side.host),
      source: pair.source.name,
      now: ctx.now,
    });
    return {
      report: datasetReport(pair, 'CRITICAL', 'conflict', [], { conflict: decision.conflict, ...text, common: commonNow?.target }),
      targetVersions: before,
      commonGuid: commonNow?.source.guid ?? null,
      newest: null,
    };
  }
  if (decision.kind === 'nothing-to-do') {
    return { report: datasetReport(pair, 'OK', 'nothing-to-do', [], { common: decision.common.target }), targetVersions: before, commonGuid: decision.common.source.guid, newest: null };
  }
  ctx = await forTransfer(ctx, pair.source.name, pair.targetName);
  if (ctx.dryRun) {
    const steps = decision.steps.map((s) => plannedStep(ctx, pair, s));
    return { report: datasetReport(pair, 'OK', 'planned', steps, { common: commonNow?.target }), targetVersions: before, commonGuid: commonNow?.source.guid ?? null, newest: null };
  }

  const done: StepReport[] = [];
  let state: TargetState = pair.target ? targetStateOf(pair.target, null) : { versions: [], written: 0, resume: null, role: null, epoch: null };
  let bytes = 0;
  for (const step of decision.steps) {
    const started = Date.now();
    try {
      const b = await runStep(ctx, pair, step);
      bytes += b ?? 0;
      done.push({ ...plannedStep(ctx, pair, step), ok: true, bytes: b, durationMs: Date.now() - started });
      state = applySteps(state, [step], { versions: pair.source.versions, epoch: pair.source.epoch });
    } catch (e) {
      done.push({ ...plannedStep(ctx, pair, step), ok: false, bytes: null, durationMs: Date.now() - started, error: oneLine(e) });
      const err = asConflict(e, pair);
      const common = newestCommon(pair.source.versions, state.versions);
      return {
        report: datasetReport(pair, stateForError(err), 'failed', done, {
          message: oneLine(err),
          ...(err instanceof ConflictError ? { conflict: err.conflict } : {}),
          ...(err instanceof Error && 'hint' in err && typeof err.hint === 'string' ? { hint: err.hint } : {}),
          common: common?.target,
          resumePending: ctx.caps.resume && ctx.job.resume && step.kind !== 'abort-resume' && step.kind !== 'rollback',
          bytes,
        }),
        targetVersions: state.versions,
        commonGuid: common?.source.guid ?? null,
        newest: null,
      };
    }
  }
  const after = newestCommon(pair.source.versions, state.versions);
  const snaps = state.versions.filter((v) => v.kind === 'snapshot').length - before.filter((v) => v.kind === 'snapshot').length;
  return {
    report: datasetReport(pair, 'OK', 'replicated', done, { common: after?.target, bytes, snapshots: Math.max(0, snaps) }),
    targetVersions: state.versions,
    commonGuid: after?.source.guid ?? null,
    newest: decision.newest,
  };
};

/** Runs one step; returns the bytes the receive reported (null when unknown). */
const runStep = async (ctx: TargetContext, pair: DatasetPair, step: Step): Promise<number | null> => {
  switch (step.kind) {
    case 'abort-resume':
      await abortResume(ctx.runner, ctx.caps, pair.targetName);
      return 0;
    case 'rollback':
      await rollback(ctx.runner, `${pair.targetName}@${step.to.name}`, { destroyNewer: true });
      return 0;
    default: {
      const processes = stepProcesses(ctx.job, step, {
        source: { runner: ctx.source.runner, caps: ctx.source.caps, dataset: pair.source },
        target: { runner: ctx.runner, caps: ctx.caps, name: pair.targetName },
      });
      const show = ctx.progress;
      const r = await runTransfer(processes, {
        signal: ctx.signal,
        onSpawn: ctx.onSpawn,
        ...(show ? { onProgress: (bytes: number, ms: number) => show(`${pair.targetName} <- ${step.to.name}: ${formatSize(bytes)}, ${formatSize((bytes * 1000) / Math.max(ms, 1))}/s`) } : {}),
      });
      if (step.kind === 'full') await afterFullReceive(ctx.runner, ctx.caps, pair.targetName, ctx.log);
      return r.bytes;
    }
  }
};

/** Receive failures that mean "the target is not what the plan saw" are conflicts, named like the planner's. */
const asConflict = (e: unknown, pair: DatasetPair): unknown => {
  if (!(e instanceof ZfsError)) return e;
  const byReason: Partial<Record<ZfsError['reason'], ConflictName>> = {
    'target-modified': 'target-modified',
    'target-has-newer-snapshots': 'target-newer',
    'incremental-mismatch': 'target-newer',
  };
  const name = byReason[e.reason];
  if (!name) return e;
  return new ConflictError(name, `${pair.targetName}: ${e.message}`, {
    cause: e,
    hint: name === 'target-modified' ? `keep the target readonly; discard the change with --rollback-target` : `inspect the target's snapshots; --rollback-target destroys the newer ones`,
  });
};

const plannedStep = (ctx: TargetContext, pair: DatasetPair, s: Step): StepReport => {
  const { from, to } = stepLabel(s);
  let command: string;
  if (s.kind === 'abort-resume') command = `${ctx.runner.label}: zfs recv -A ${pair.targetName}`;
  else if (s.kind === 'rollback') command = `${ctx.runner.label}: zfs rollback -r ${pair.targetName}@${s.to.name}`;
  else {
    command = describeProcesses(
      stepProcesses(ctx.job, s, {
        source: { runner: ctx.source.runner, caps: ctx.source.caps, dataset: pair.source },
        target: { runner: ctx.runner, caps: ctx.caps, name: pair.targetName },
      }),
    );
  }
  return { kind: s.kind, from, to, command, ok: null, bytes: null, durationMs: null };
};

/** After the receives: one `zfs get` on the target proves each new snapshot arrived with the source's GUID. */
const confirmReceived = async (ctx: TargetContext, received: { pair: DatasetPair; newest: Version }[], reports: DatasetReport[]): Promise<void> => {
  const names = received.map((r) => `${r.pair.targetName}@${r.newest.name}`);
  let got: Map<string, Version>;
  try {
    got = await getVersions(ctx.runner, ctx.caps, names);
  } catch (e) {
    ctx.log.warn({ err: e }, 'could not confirm received snapshots');
    return;
  }
  for (const r of received) {
    const v = got.get(`${r.pair.targetName}@${r.newest.name}`);
    if (v && v.guid === r.newest.guid) continue;
    const i = reports.findIndex((d) => d.target === r.pair.targetName);
    if (i >= 0) {
      reports[i] = { ...reports[i]!, state: 'CRITICAL', outcome: 'failed', message: `received ${fullName(r.newest)} but the target shows ${v ? `GUID ${v.guid}` : 'no such snapshot'}` };
    }
  }
};

const datasetReport = (
  pair: DatasetPair,
  state: ServiceState,
  outcome: DatasetReport['outcome'],
  steps: StepReport[],
  extra: {
    conflict?: ConflictName;
    message?: string;
    hint?: string;
    common?: Version | undefined;
    bytes?: number;
    snapshots?: number;
    resumePending?: boolean;
  },
): DatasetReport => ({
  source: pair.source.name,
  target: pair.targetName,
  state,
  outcome,
  steps,
  snapshots: extra.snapshots ?? 0,
  bytes: extra.bytes ?? 0,
  common: extra.common ? { name: extra.common.name, guid: extra.common.guid, creation: extra.common.creation, createtxg: extra.common.createtxg } : null,
  ...(extra.conflict ? { conflict: extra.conflict } : {}),
  ...(extra.message ? { message: extra.message } : {}),
  ...(extra.hint ? { hint: extra.hint } : {}),
  ...(extra.resumePending ? { resumePending: true } : {}),
});

const failedTarget = (target: TargetSpec, side: string, e: unknown): TargetOutcome => {
  const hint = e instanceof Error && 'hint' in e && typeof e.hint === 'string' ? e.hint : undefined;
  return {
    report: {
      id: target.id,
      side,
      state: stateForError(e),
      datasets: [],
      orphans: [],
      destroyed: [],
      error: { kind: e instanceof ZfsError || e instanceof Error ? ((e as { kind?: never }).kind ?? 'unknown') : 'unknown', message: `${side}: ${oneLine(e)}`, ...(hint ? { hint } : {}) },
    },
    versions: null,
    commons: new Map(),
  };
};
