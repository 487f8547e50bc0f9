// One dataset pair of a target: decide (planner plus conflict policy), narrow both ends to what their pools can
// take, then run the steps (or describe them for a dry run); the pair's report says what happened and why.
import { commandLine } from '../core/operator-command.js';
import { newestCommon } from '../core/common.js';
import { applySteps, type Step, type TargetState } from '../core/plan.js';
import { sortVersions, type Version } from '../core/versions.js';
import { formatSize } from '../core/duration.js';
import { ConflictError, oneLine, type ConflictName } from '../errors.js';
import { stateForError, type ServiceState } from '../outcome.js';
import { describeConflict } from './conflict-text.js';
import { onJobHost } from './invocation.js';
import { needsEncryptionRoot } from './receive-fixes.js';
import { encryptionRootOf, receivesEncrypted } from './encrypted-receive.js';
import { capsForPool } from './pool-caps.js';
import type { DatasetPair } from './pairs.js';
import type { DatasetReport, StepReport } from './report.js';
import { bytesBeforeFailure, stagesOfFailure, stepLabel } from './transfer.js';
import type { TransferEnds } from './endpoint.js';
import { afterFullReceive } from './receive-fixups.js';
import { arrivedBeforeFailure, inFlightOf } from './carried.js';
import type { TargetContext } from './target-context.js';
import { decide, targetStateOf } from './pair-decide.js';
import { asConflict } from './receive-conflict.js';

export interface PairResult {
  readonly report: DatasetReport;
  readonly targetVersions: readonly Version[];
  readonly commonGuid: string | null;
  /** Source snapshot now on the target (to confirm), when steps ran. */
  readonly newest: Version | null;
  /** A transfer failed and what reached the target could not be read: its versions and common point are unknown. */
  readonly unsure?: boolean;
}

const mergeVersions = (vs: readonly Version[], extra: readonly Version[]): Version[] =>
  sortVersions([...vs.filter((v) => !extra.some((x) => x.guid === v.guid && x.kind === v.kind)), ...extra]);

/** The context a transfer of `pair` runs in: both ends' capabilities narrowed by their pools' features. */
export const forTransfer = async (ctx: TargetContext, sourceDataset: string, targetName: string): Promise<TargetContext> => {
  const [sourceCaps, targetCaps] = await Promise.all([
    capsForPool(ctx.pools, ctx.source.endpoint, ctx.source.caps, sourceDataset, ctx.log, ctx.signal),
    capsForPool(ctx.pools, ctx.endpoint, ctx.caps, targetName, ctx.log, ctx.signal),
  ]);
  return { ...ctx, caps: targetCaps, source: { ...ctx.source, caps: sourceCaps } };
};

export const syncPair = async (ctx: TargetContext, pair: DatasetPair): Promise<PairResult> => {
  const before = pair.target?.versions ?? [];
  const decision = await decide(ctx, pair);
  const commonNow = pair.target ? newestCommon(pair.source.versions, before) : null;
  if (decision.kind === 'conflict') {
    const text = describeConflict(decision, {
      invocation: ctx.commands.invocation,
      target: pair.targetName,
      source: pair.source.name,
      onTarget: (stages) => onJobHost(ctx.job, ctx.target.side.host, stages),
      onSource: (stages) => onJobHost(ctx.job, ctx.job.source.host, stages),
      demoteSource: ctx.commands.demoteSource(ctx.target.id),
      demoteTarget: ctx.commands.demoteTarget(ctx.target.id),
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
    if (!ctx.dryRun) await keepReadonly(ctx, pair);
    return {
      report: datasetReport(pair, 'OK', 'nothing-to-do', [], { common: decision.common.target }),
      targetVersions: before,
      commonGuid: decision.common.source.guid,
      newest: null,
    };
  }
  ctx = await forTransfer(ctx, pair.source.name, pair.targetName);
  const into = await receivesEncrypted(ctx, pair, decision.steps);
  if (ctx.dryRun) {
    const steps = decision.steps.map((s) => plannedStep(ctx, pair, s, into));
    return {
      report: datasetReport(pair, 'OK', 'planned', steps, { common: commonNow?.target }),
      targetVersions: before,
      commonGuid: commonNow?.source.guid ?? null,
      newest: null,
    };
  }

  const done: StepReport[] = [];
  let state: TargetState = pair.target ? targetStateOf(pair.target, null) : { versions: [], written: 0, resume: null, role: null, epoch: null };
  let bytes = 0;
  for (const step of decision.steps) {
    const started = Date.now();
    try {
      // Write-ahead: once the stream starts, a kill may leave these on the target before any state write.
      if (step.kind === 'full' || step.kind === 'incremental' || step.kind === 'resume') await ctx.writeAhead?.(pair.rel, inFlightOf(ctx, pair, step));
      const b = await runStep(ctx, pair, step, into);
      bytes += b ?? 0;
      done.push({ ...plannedStep(ctx, pair, step, into), ok: true, bytes: b, durationMs: Date.now() - started });
      state = applySteps(state, [step], { versions: pair.source.versions, epoch: pair.source.epoch });
    } catch (e) {
      // A transfer cut mid-stream still moved data (a resumable receive keeps it): report what reached the target.
      const partial = bytesBeforeFailure(e);
      const stages = stagesOfFailure(e);
      if (stages) ctx.log.warn({ dataset: pair.targetName, stages }, 'transfer failed');
      bytes += partial ?? 0;
      done.push({ ...plannedStep(ctx, pair, step, into), ok: false, bytes: partial, durationMs: Date.now() - started, error: oneLine(e) });
      const err = asConflict(e, pair, ctx, needsEncryptionRoot(e) ? await encryptionRootOf(ctx, pair.targetName) : null);
      // An -I stream is received snapshot by snapshot: what arrived before the failure is on the target, and
      // may be the newest common snapshot now (cleanup must not take it from the source).
      const arrived = await arrivedBeforeFailure(ctx, pair, step);
      if (arrived === null)
        ctx.log.warn({ dataset: pair.targetName }, 'could not read what reached the target before the transfer failed; the source keeps its snapshots');
      else state = { ...state, versions: mergeVersions(state.versions, arrived) };
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
        ...(arrived === null ? { unsure: true } : {}),
      };
    }
  }
  await keepReadonly(ctx, pair);
  const after = newestCommon(pair.source.versions, state.versions);
  const snaps = state.versions.filter((v) => v.kind === 'snapshot').length - before.filter((v) => v.kind === 'snapshot').length;
  // A replica that asked for another stream than the job's (issue 12): replicated as the job sends, but said.
  const refusal = decision.steps.find((s) => s.kind === 'abort-resume' && s.refused);
  const warning = refusal?.kind === 'abort-resume' ? { message: `${refusal.reason}; partial receive aborted, nothing sent from it` } : {};
  return {
    report: datasetReport(pair, refusal ? 'WARNING' : 'OK', 'replicated', done, { common: after?.target, bytes, snapshots: Math.max(0, snaps), ...warning }),
    targetVersions: state.versions,
    commonGuid: after?.source.guid ?? null,
    newest: decision.newest,
  };
};

/**
 * A replica is read-only (README): a sync that succeeds sets readonly=on again where an operator turned it off
 * (e.g. to repair it before --rollback-target), so the next cycle is not broken by writes.
 */
const keepReadonly = async (ctx: TargetContext, pair: DatasetPair): Promise<void> => {
  if (!pair.target || pair.target.readonly !== false) return;
  await ctx.endpoint.setProperties(ctx.caps, pair.targetName, { readonly: 'on' });
};

/** Runs one step; returns the bytes the receive reported (null when unknown). */
const runStep = async (ctx: TargetContext, pair: DatasetPair, step: Step, intoEncrypted: boolean): Promise<number | null> => {
  switch (step.kind) {
    case 'abort-resume':
      await ctx.endpoint.abortResume(ctx.caps, pair.targetName);
      return 0;
    case 'rollback':
      await ctx.endpoint.rollback(`${pair.targetName}@${step.to.name}`);
      return 0;
    default: {
      const show = ctx.progress;
      const r = await ctx.endpoints.transfer(ctx.job, step, transferEnds(ctx, pair, intoEncrypted), {
        signal: ctx.signal,
        onSpawn: ctx.onSpawn,
        ...(show
          ? {
              onProgress: (bytes: number, ms: number) =>
                show(`${pair.targetName} <- ${step.to.name}: ${formatSize(bytes)}, ${formatSize((bytes * 1000) / Math.max(ms, 1))}/s`),
            }
          : {}),
      });
      if (step.kind === 'full') await afterFullReceive(ctx.endpoint, ctx.caps, pair.targetName, ctx.log);
      return r.bytes;
    }
  }
};

const plannedStep = (ctx: TargetContext, pair: DatasetPair, s: Step, intoEncrypted: boolean): StepReport => {
  const { from, to } = stepLabel(s);
  let command: string;
  // Host label, then the command quoted by the one builder (the names may hold blanks).
  if (s.kind === 'abort-resume') command = `${ctx.endpoint.label}: ${commandLine(['zfs', 'receive', '-A', pair.targetName])}`;
  else if (s.kind === 'rollback') command = `${ctx.endpoint.label}: ${commandLine(['zfs', 'rollback', '-r', `${pair.targetName}@${s.to.name}`])}`;
  else command = ctx.endpoints.describe(ctx.job, s, transferEnds(ctx, pair, intoEncrypted));
  return { kind: s.kind, from, to, command, ok: null, bytes: null, durationMs: null };
};

const transferEnds = (ctx: TargetContext, pair: DatasetPair, intoEncrypted: boolean): TransferEnds => ({
  source: { endpoint: ctx.source.endpoint, caps: ctx.source.caps, dataset: pair.source },
  target: { endpoint: ctx.endpoint, caps: ctx.caps, name: pair.targetName, encrypted: intoEncrypted },
});

export const datasetReport = (
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
