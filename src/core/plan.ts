// The replication planner: a state machine over the (source, target) relation of one dataset that returns a
// plan, "nothing to do", or a typed conflict with its evidence. It is where the iron rule lives: the increment
// always starts at the newest common GUID and ends at the source's newest snapshot. Pure; see docs/design.md §4.2.
import type { ConflictName } from '../errors.js';
import { newestCommon, snapshotsAfter, type CommonPoint } from './common.js';
import type { Role } from './dataset.js';
import { compareVersions, newestSnapshot, snapshotsOf, type Version } from './versions.js';

export type Step =
  /** `zfs send to` into a target that does not exist yet. */
  | { readonly kind: 'full'; readonly to: Version }
  /** `zfs send -I from to` (intermediates) or `-i from to`; `from` may be a source bookmark (then always `-i`). */
  | { readonly kind: 'incremental'; readonly from: Version; readonly to: Version; readonly intermediates: boolean }
  /** `zfs send -t token`: finish an interrupted receive. `to` is the source snapshot the token leads to. */
  | { readonly kind: 'resume'; readonly token: string; readonly to: Version }
  /** `zfs recv -A target`: drop a partial receive whose snapshot is gone on the source. */
  | { readonly kind: 'abort-resume'; readonly reason: string; readonly refused?: true }
  /** `zfs rollback -r target@to`: only by explicit policy (resolveConflict), never by default. */
  | { readonly kind: 'rollback'; readonly to: Version; readonly destroys: readonly Version[] };

export interface Plan {
  readonly kind: 'plan';
  readonly steps: readonly Step[];
  /** Newest common version before the plan runs (null for an initial replication). */
  readonly common: CommonPoint | null;
  /** The source snapshot the target will have at the end. */
  readonly newest: Version;
}

export interface NothingToDo {
  readonly kind: 'nothing-to-do';
  readonly common: CommonPoint;
}

/** A relation the planner refuses to act on; each carries what an operator needs to decide. */
export type Conflict =
  | { readonly kind: 'conflict'; readonly conflict: 'no-source-snapshots' }
  | { readonly kind: 'conflict'; readonly conflict: 'target-is-primary'; readonly targetEpoch: number }
  | { readonly kind: 'conflict'; readonly conflict: 'target-epoch-higher'; readonly sourceEpoch: number; readonly targetEpoch: number }
  | {
      readonly kind: 'conflict';
      readonly conflict: 'no-common-snapshot';
      readonly sourceVersions: readonly Version[];
      readonly targetVersions: readonly Version[];
    }
  | {
      readonly kind: 'conflict';
      readonly conflict: 'diverged';
      readonly common: CommonPoint;
      readonly sourceOnly: readonly Version[];
      readonly targetOnly: readonly Version[];
    }
  | {
      readonly kind: 'conflict';
      readonly conflict: 'snapshot-name-reused';
      readonly common: CommonPoint;
      /** Pairs of (source snapshot the stream would carry, older target snapshot of the same name, other GUID). */
      readonly clashes: readonly { readonly source: Version; readonly target: Version }[];
    }
  | { readonly kind: 'conflict'; readonly conflict: 'target-newer'; readonly common: CommonPoint; readonly targetOnly: readonly Version[] }
  | { readonly kind: 'conflict'; readonly conflict: 'target-modified'; readonly common: CommonPoint; readonly written: number };

export type Decision = Plan | NothingToDo | Conflict;

/** A partial receive on the target, decoded from its resume token (`zfs send -nvt`). */
export interface ResumeState {
  readonly token: string;
  /** GUID of the snapshot the interrupted stream was sending; null when the token could not be decoded. */
  readonly toGuid: string | null;
  /** Why the token is not the job's own (core/resume-token.ts): the partial receive is aborted, never sent. */
  readonly refused?: string | null;
  /** Its snapshot or base was pruned on the source (core/resume-token.ts): aborted too, but nothing to report. */
  readonly stale?: string | null;
}

export interface SourceState {
  readonly versions: readonly Version[];
  readonly epoch: number | null;
}

export interface TargetState {
  readonly versions: readonly Version[];
  /** Bytes written since the target's newest snapshot; null when unknown (zfs-fuse). */
  readonly written: number | null;
  readonly resume: ResumeState | null;
  readonly role: Role | null;
  readonly epoch: number | null;
}

export interface PlanOptions {
  /** First replication: full send of the oldest snapshot then every later one, or only the newest. */
  readonly initial: 'all' | 'newest';
  /** `-I` (send intermediate snapshots, e.g. zfs-auto-snapshot's) or `-i` (only the newest). */
  readonly intermediates: boolean;
  /** Intermediate snapshots not worth carrying (this job's own superseded sync snapshots). */
  readonly leaveOut?: (v: Version) => boolean;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { initial: 'all', intermediates: true };

type ConflictBody = Conflict extends infer C ? (C extends Conflict ? Omit<C, 'kind'> : never) : never;
const conflict = (c: ConflictBody): Conflict => ({ kind: 'conflict', ...c }) as Conflict;

/**
 * Decide what one cycle does for one dataset. `target` null means the target dataset does not exist.
 * The order of the checks below is the state machine of docs/design.md §4.2; each row is one guard.
 */
export const planReplication = (source: SourceState, target: TargetState | null, options: PlanOptions = DEFAULT_PLAN_OPTIONS): Decision => {
  const srcNewest = newestSnapshot(source.versions);
  if (!srcNewest) return conflict({ conflict: 'no-source-snapshots' });

  if (target === null) return initialPlan(source.versions, srcNewest, options);

  // Fencing first: whatever else is true, never write into a primary or a newer epoch.
  if (target.role === 'primary') return conflict({ conflict: 'target-is-primary', targetEpoch: target.epoch ?? 0 });
  if ((target.epoch ?? 0) > (source.epoch ?? 0)) {
    return conflict({ conflict: 'target-epoch-higher', sourceEpoch: source.epoch ?? 0, targetEpoch: target.epoch ?? 0 });
  }

  if (target.resume) {
    const to =
      target.resume.toGuid === null || target.resume.refused || target.resume.stale
        ? undefined
        : snapshotsOf(source.versions).find((v) => v.guid === target.resume?.toGuid);
    if (!to) {
      // The snapshot the partial stream leads to is gone (or the token is unreadable): abort, then plan afresh.
      // A partial first receive (no snapshot on the target yet) is the whole dataset: `recv -A` destroys it, so
      // the plan after the abort is the initial one (a "no common snapshot" conflict here would never clear).
      const rest =
        target.versions.length === 0 ? initialPlan(source.versions, srcNewest, options) : planReplication(source, { ...target, resume: null }, options);
      const reason =
        target.resume.refused ??
        target.resume.stale ??
        (target.resume.toGuid === null ? 'resume token could not be decoded' : 'snapshot of the resume token no longer exists on the source');
      // A refused token (it asked for another stream than the job's) is marked: the run reports it.
      const abort: Step = { kind: 'abort-resume', reason, ...(target.resume.refused ? { refused: true as const } : {}) };
      if (rest.kind === 'plan') return { ...rest, steps: [abort, ...rest.steps] };
      if (rest.kind === 'nothing-to-do') return { kind: 'plan', steps: [abort], common: rest.common, newest: srcNewest };
      return rest;
    }
    const resumed = applySteps(target, [{ kind: 'resume', token: target.resume.token, to }]);
    const rest = planReplication(source, resumed, options);
    const first: Step = { kind: 'resume', token: target.resume.token, to };
    const common = newestCommon(source.versions, target.versions);
    if (rest.kind === 'plan') return { kind: 'plan', steps: [first, ...rest.steps], common, newest: rest.newest };
    if (rest.kind === 'nothing-to-do') return { kind: 'plan', steps: [first], common, newest: to };
    return rest;
  }

  const common = newestCommon(source.versions, target.versions);
  if (!common) {
    return conflict({ conflict: 'no-common-snapshot', sourceVersions: source.versions, targetVersions: target.versions });
  }
  const targetOnly = snapshotsAfter(target.versions, common.target);
  const sourceOnly = snapshotsAfter(source.versions, common.source);
  // A name the stream would carry that the target already has, with another GUID, at or before the common
  // snapshot (a source snapshot destroyed and taken again): zfs recv refuses the whole stream with "destination
  // already exists". Found here so it is named, not a raw zfs error every cycle; rollback cannot reach it.
  const clashes = nameClashes(options.intermediates ? sourceOnly : sourceOnly.slice(-1), target.versions, common.target);
  if (clashes.length > 0) return conflict({ conflict: 'snapshot-name-reused', common, clashes });
  if (targetOnly.length > 0 && sourceOnly.length > 0) return conflict({ conflict: 'diverged', common, sourceOnly, targetOnly });
  if (targetOnly.length > 0) return conflict({ conflict: 'target-newer', common, targetOnly });
  if (target.written !== null && target.written > 0) return conflict({ conflict: 'target-modified', common, written: target.written });
  if (sourceOnly.length === 0) return { kind: 'nothing-to-do', common };
  return { kind: 'plan', steps: incrementalSteps(common.source, sourceOnly, options), common, newest: srcNewest };
};

const nameClashes = (sent: readonly Version[], target: readonly Version[], upTo: Version): { source: Version; target: Version }[] => {
  if (sent.length === 0) return [];
  const byName = new Map<string, Version>();
  for (const t of target) if (t.kind === 'snapshot' && t.createtxg <= upTo.createtxg) byName.set(t.name, t);
  const out: { source: Version; target: Version }[] = [];
  for (const s of sent) {
    const t = byName.get(s.name);
    if (t && t.guid !== s.guid) out.push({ source: s, target: t });
  }
  return out;
};

const initialPlan = (versions: readonly Version[], newest: Version, options: PlanOptions): Plan => {
  const snaps = snapshotsOf(versions).sort(compareVersions);
  const first = options.initial === 'all' && options.intermediates ? (snaps[0] as Version) : newest;
  const steps: Step[] = [{ kind: 'full', to: first }];
  if (first !== newest) steps.push({ kind: 'incremental', from: first, to: newest, intermediates: true });
  return { kind: 'plan', steps, common: null, newest };
};

/**
 * From a common snapshot: one `-I` step. From a bookmark: `-i` to the first later snapshot, then `-I` on.
 * Snapshots `leaveOut` names (this job's superseded sync snapshots, left behind by failed cycles) are not
 * carried: the stream jumps over them with `-i`. A snapshot that could not be sent (too big for the target, or
 * held by a crashed `zfs send`) then never blocks the cycles after it, and cleanup drops it.
 */
export const incrementalSteps = (from: Version, later: readonly Version[], options: PlanOptions): Step[] => {
  const newest = later[later.length - 1] as Version;
  if (!options.intermediates) return [{ kind: 'incremental', from, to: newest, intermediates: false }];
  const steps: Step[] = [];
  let at = from;
  let jumped = from.kind !== 'snapshot'; // a bookmark carries nothing after it: `-i` to the first snapshot
  let run: Version[] = [];
  const flush = (): void => {
    const [first, last] = [run[0], run[run.length - 1]];
    if (!first || !last) return;
    if (jumped) steps.push({ kind: 'incremental', from: at, to: first, intermediates: false });
    if (!jumped || first !== last) steps.push({ kind: 'incremental', from: jumped ? first : at, to: last, intermediates: true });
    at = last;
    run = [];
    jumped = false;
  };
  for (const v of later) {
    if (v !== newest && options.leaveOut?.(v) === true) {
      flush();
      jumped = true;
    } else run.push(v);
  }
  flush();
  return steps;
};

/**
 * What the target looks like after `steps` succeed, given the source snapshots they carry: the model the
 * property tests use to prove that re-planning after a plan gives nothing to do. Received snapshots get
 * fresh target-side txgs (txgs are per pool), keeping the source's GUIDs.
 */
export const applySteps = (target: TargetState, steps: readonly Step[], source?: SourceState): TargetState => {
  let versions = [...target.versions];
  let txg = versions.reduce((m, v) => Math.max(m, v.createtxg), 0);
  let resume = target.resume;
  let written = target.written;
  const receive = (v: Version): void => {
    if (versions.some((x) => x.guid === v.guid && x.kind === 'snapshot')) return;
    txg += 1;
    versions.push({ ...v, kind: 'snapshot', createtxg: txg });
  };
  for (const step of steps) {
    switch (step.kind) {
      case 'full':
        receive(step.to);
        written = 0;
        break;
      case 'incremental': {
        const carried = step.intermediates && source ? snapshotsAfter(source.versions, step.from).filter((v) => compareVersions(v, step.to) <= 0) : [step.to];
        for (const v of carried) receive(v);
        written = 0;
        break;
      }
      case 'resume':
        receive(step.to);
        resume = null;
        written = 0;
        break;
      case 'abort-resume':
        resume = null;
        break;
      case 'rollback': {
        const drop = new Set(step.destroys.map((v) => v.guid));
        versions = versions.filter((v) => !drop.has(v.guid));
        written = 0;
        break;
      }
    }
  }
  return { ...target, versions: versions.sort(compareVersions), resume, written };
};

export const conflictName = (c: Conflict): ConflictName => c.conflict;
