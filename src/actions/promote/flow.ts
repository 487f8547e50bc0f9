// The order of a promotion, over an injected environment (the real one runs zfs through runners; the property
// test runs a model of two sites): decide, hooks, fence, final sync, verify, switch, hooks, record. No I/O of
// its own. Every refusal comes before the first change; after a change, a failure says exactly where it stopped
// and re-running the same command continues from what ZFS shows (each step is idempotent).
import type { PromoteCommands } from '../../core/failover/promote.js';
import type { ServiceState } from '../../outcome.js';
import { decidePromote, decideSwitch, demotePrimaryOps, promoteOps, type PromoteMode, type PromotePlan } from '../../core/failover/promote.js';
import { describeOp, type OpGroup, type ZfsOp } from '../../core/failover/ops.js';
import { listedEpoch, type Refusal, type TreeEvidence, type TreeView } from '../../core/failover/tree.js';
import type { Version } from '../../core/versions.js';
import { oneLine } from '../../errors.js';

export type HookWhen = 'before' | 'after' | 'abort';

export interface HookOutcome {
  readonly name: string;
  readonly on: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface FlowStep {
  readonly what: string;
  readonly ok: boolean;
  readonly detail?: string;
  readonly commands?: readonly string[];
}

export interface PromoteEnv {
  now(): number;
  listReplica(): Promise<TreeView>;
  /** null when the primary's host cannot be reached (`primaryError()` says why). */
  listPrimary(): Promise<TreeView | null>;
  primaryError(): string | undefined;
  evidence(): Promise<TreeEvidence | null>;
  runHooks(when: HookWhen, mode: PromoteMode): Promise<readonly HookOutcome[]>;
  apply(side: OpGroup['side'], op: ZfsOp): Promise<void>;
  /** One sync cycle of the job (the final sync); ok only when this replica got everything. */
  finalSync(): Promise<{ readonly ok: boolean; readonly summary: string }>;
  /** Persist progress (the promotion record): a re-run knows an interrupted promotion from it. */
  record(update: {
    readonly phase: 'started' | 'switched' | 'done' | 'failed';
    readonly epoch: number;
    readonly detail?: string;
    readonly points?: Record<string, string>;
  }): Promise<void>;
}

export interface PromoteOptions {
  readonly mode: PromoteMode;
  readonly maxLag: number | null;
  readonly acceptTree: boolean;
  readonly dryRun: boolean;
  readonly interrupted: boolean;
  readonly command: string;
  readonly demoteCommand: string;
  readonly commands?: PromoteCommands | undefined;
}

export interface PromoteOutcome {
  readonly state: ServiceState;
  readonly summary: string;
  readonly hint?: string;
  readonly refusal: Refusal | null;
  readonly plan: PromotePlan | null;
  readonly epoch: number | null;
  /**
   * The epoch the replica carries for the alert (zfEpoch): the promotion's epoch, or when refused the one it was
   * listed with (0 when unmarked); null when it could not be read.
   */
  readonly datasetEpoch: number | null;
  /** The replica's dataset -> snapshot it was promoted at. */
  readonly points: Readonly<Record<string, string>>;
  /** Whether anything in ZFS was changed. */
  readonly changed: boolean;
  readonly steps: readonly FlowStep[];
  readonly hooks: readonly HookOutcome[];
  readonly notes: readonly string[];
  /** Dry run of a planned switchover: the switch as it would look if the final sync ended at today's snapshots. */
  readonly preview: readonly OpGroup[] | null;
}

export const runPromoteFlow = async (env: PromoteEnv, o: PromoteOptions): Promise<PromoteOutcome> => {
  const replica = await env.listReplica();
  const primary = await env.listPrimary();
  const evidence = o.mode === 'takeover' ? await env.evidence() : null;
  const decision = decidePromote({
    mode: o.mode,
    now: env.now(),
    primary,
    ...(env.primaryError() ? { primaryError: env.primaryError() } : {}),
    replica,
    maxLag: o.maxLag,
    acceptTree: o.acceptTree,
    evidence,
    interrupted: o.interrupted,
    command: o.command,
    demoteCommand: o.demoteCommand,
    commands: o.commands,
  });
  const steps: FlowStep[] = [];
  const hooks: HookOutcome[] = [];
  const notes: string[] = [];
  let changed = false;
  const out = (state: ServiceState, summary: string, extra: Partial<PromoteOutcome> = {}): PromoteOutcome => ({
    state,
    summary,
    refusal: null,
    plan: decision.kind === 'refuse' ? null : decision,
    epoch: decision.kind === 'refuse' ? null : decision.epoch,
    datasetEpoch: decision.kind === 'refuse' ? listedEpoch(replica) : decision.epoch,
    points: {},
    changed,
    steps,
    hooks,
    notes: [...(decision.kind === 'refuse' ? [] : decision.notes), ...notes],
    preview: null,
    ...extra,
  });
  if (decision.kind === 'refuse')
    return out('CRITICAL', `refused: ${decision.reason}`, { refusal: decision, ...(decision.hint ? { hint: decision.hint } : {}) });
  const p = decision;
  if (o.dryRun) {
    const preview = p.finalSync && primary ? previewSwitch(primary, replica, p.epoch, env.now()) : null;
    return out(
      'OK',
      `dry run: would ${p.kind === 'promote' ? `${p.mode === 'planned' ? 'switch over' : 'take over'} to` : 'finish promoting'} ${replica.root} (epoch ${p.epoch}); nothing changed`,
      { preview },
    );
  }

  const runGroups = async (groups: readonly OpGroup[]): Promise<string | null> => {
    for (const g of groups) {
      const done: string[] = [];
      for (const op of g.ops) {
        try {
          await env.apply(g.side, op);
          changed = true;
          done.push(describeOp(op));
        } catch (e) {
          steps.push({ what: g.what, ok: false, detail: `${describeOp(op)}: ${oneLine(e)}`, commands: done });
          return `${g.what}: ${describeOp(op)}: ${oneLine(e)}`;
        }
      }
      steps.push({ what: g.what, ok: true, commands: done });
    }
    return null;
  };
  const runHooks = async (when: HookWhen): Promise<HookOutcome | null> => {
    const r = await env.runHooks(when, p.mode);
    hooks.push(...r);
    return r.find((h) => !h.ok) ?? null;
  };
  const fence = p.prepare.filter((g) => g.side === 'primary');
  /** A planned switchover that fails before the switch gives the primary its writes back. */
  const undo = async (why: string): Promise<PromoteOutcome> => {
    const undoOps: ZfsOp[] = fence.flatMap((g) => g.ops).map((op) => (op.op === 'set' ? { ...op, props: { readonly: 'off' } } : op));
    let undone = true;
    for (const op of undoOps) {
      try {
        await env.apply('primary', op);
      } catch (e) {
        undone = false;
        notes.push(`could not give the primary its writes back: ${describeOp(op)}: ${oneLine(e)}`);
      }
    }
    if (undoOps.length > 0) steps.push({ what: 'give the primary its writes back', ok: undone, commands: undoOps.map(describeOp) });
    await runHooks('abort');
    await env.record({ phase: 'failed', epoch: p.epoch, detail: why }).catch(() => undefined);
    return out('CRITICAL', `switchover failed, nothing switched: ${why}`, {
      hint: undone ? 'the primary serves as before; fix the cause and re-run' : 'the primary is still readonly: zfs set readonly=off on it, or re-run',
    });
  };

  await env.record({ phase: 'started', epoch: p.epoch });
  if (p.hooksBefore) {
    const failed = await runHooks('before');
    if (failed) {
      await runHooks('abort');
      await env.record({ phase: 'failed', epoch: p.epoch, detail: `hook ${failed.name} failed` }).catch(() => undefined);
      return out('CRITICAL', `refused: hook ${failed.name} on ${failed.on} failed (${failed.detail}); nothing in ZFS was changed`, {
        hint: 'fix the hook, or skip it with --skip-hook NAME if its job is done',
      });
    }
  }
  const prepFailed = await runGroups(p.prepare);
  if (prepFailed) return p.mode === 'planned' ? undo(prepFailed) : failedMidway(out, p.epoch, prepFailed, o.command, env);

  let switchGroups = p.switch;
  let points: ReadonlyMap<string, Version> | null = null;
  if (p.finalSync) {
    const sync = await env.finalSync();
    steps.push({ what: 'final sync', ok: sync.ok, detail: sync.summary });
    if (!sync.ok) return undo(`final sync: ${sync.summary}`);
    const [pAfter, rAfter] = [await env.listPrimary(), await env.listReplica()];
    if (!pAfter) return undo(`the primary became unreachable after the final sync${env.primaryError() ? ` (${env.primaryError()})` : ''}`);
    const sw = decideSwitch(pAfter, rAfter, p.epoch, env.now());
    if (sw.kind === 'refuse') return undo(sw.reason);
    steps.push({ what: "verify: every dataset at the primary's newest snapshot, same GUID", ok: true });
    switchGroups = sw.switch;
    points = sw.points;
  } else if (p.kind === 'promote') {
    points = newestOf(replica);
  }

  // Promote the replica; only then demote the old primary (never a moment without a fenced primary).
  const [promoteGroup, ...demoteGroups] = switchGroups ?? [];
  if (promoteGroup) {
    const failed = await runGroups([promoteGroup]);
    if (failed) return failedMidway(out, p.epoch, failed, o.command, env);
  }
  const pointNames = points ? Object.fromEntries([...points].map(([rel, v]) => [rel === '' ? replica.root : `${replica.root}/${rel}`, v.name])) : {};
  await env.record({ phase: 'switched', epoch: p.epoch, points: pointNames });
  let state: ServiceState = 'OK';
  const demoteFailed = await runGroups(demoteGroups);
  if (demoteFailed) {
    state = 'WARNING';
    notes.push(`the old primary is fenced (readonly) but not fully demoted: ${demoteFailed}; re-run to finish`);
  }
  if (p.hooksAfter) {
    const failed = await runHooks('after');
    if (failed) {
      state = 'WARNING';
      notes.push(`hook ${failed.name} on ${failed.on} failed after the promotion: ${failed.detail}`);
    }
  }
  await env.record({ phase: 'done', epoch: p.epoch, points: pointNames });
  const at = points?.get('') ? ` at @${points.get('')!.name}` : '';
  const what =
    p.kind === 'already' ? `${replica.root} is primary (epoch ${p.epoch})` : `promoted ${replica.root} to primary (epoch ${p.epoch}, ${p.mode}${at})`;
  // A takeover is done while the old primary is out of sight: the first line says so (and why), as status does.
  const gone = p.mode === 'takeover' && env.primaryError() ? `; old primary ${env.primaryError()}` : '';
  const tail = `${gone}${state === 'OK' ? '' : `; ${notes[notes.length - 1]}`}`;
  return out(state, `${what}${tail}`, { points: pointNames, ...(state === 'OK' ? {} : { hint: `re-run: ${o.command}` }) });
};

/** The switch of a planned switchover as it would be if the final sync brought the replica to the primary's newest. */
const previewSwitch = (primary: TreeView, replica: TreeView, epoch: number, now: number): OpGroup[] => {
  const points = newestOf(primary);
  const fenced: TreeView = { root: primary.root, datasets: new Map([...primary.datasets].map(([rel, d]) => [rel, { ...d, readonly: true }])) };
  return [
    {
      side: 'replica',
      what: `promote the replica (epoch ${epoch}) at the final sync snapshot`,
      ops: promoteOps(replica, epoch, points, Math.floor(now / 1000)),
    },
    { side: 'primary', what: `demote the old primary (epoch ${epoch})`, ops: demotePrimaryOps(fenced, epoch) },
  ];
};

/** Takeover: each dataset is promoted at its newest snapshot (decidePromote checked they form one point). */
const newestOf = (replica: TreeView): ReadonlyMap<string, Version> => {
  const m = new Map<string, Version>();
  for (const [rel, d] of replica.datasets) {
    const newest = d.versions.filter((v) => v.kind === 'snapshot').at(-1);
    if (newest) m.set(rel, newest);
  }
  return m;
};

const failedMidway = async (
  out: (state: ServiceState, summary: string, extra?: Partial<PromoteOutcome>) => PromoteOutcome,
  epoch: number,
  why: string,
  command: string,
  env: PromoteEnv,
): Promise<PromoteOutcome> => {
  await env.record({ phase: 'failed', epoch, detail: why }).catch(() => undefined);
  return out('CRITICAL', `promotion stopped midway: ${why}`, { hint: `fix the cause and re-run the same command (${command}): it continues from here` });
};
