// The order of a demotion over an injected environment (real runners, or the property test's model): decide,
// hooks, keep the diverged writes aside, mark the side a replica, first sync from the new primary, record. No
// I/O of its own. The aside name is recorded before the rename, so a re-run after a crash finishes the clones.
import { fixLine } from '../../core/operator-command.js';
import type { DemoteCommands } from '../../core/failover/demote.js';
import type { ServiceState } from '../../outcome.js';
import { decideDemote, type DemotePlan } from '../../core/failover/demote.js';
import { describeOp, type ZfsOp } from '../../core/failover/ops.js';
import { listedEpoch, type Refusal, type TreeView } from '../../core/failover/tree.js';
import { oneLine } from '../../errors.js';
import type { FlowStep, HookOutcome } from '../promote/flow.js';

export interface DemoteEnv {
  now(): number;
  listSource(): Promise<TreeView>;
  listTarget(): Promise<TreeView>;
  /** The aside tree named by an unfinished record, when it exists. */
  listAside(name: string): Promise<TreeView | null>;
  /** Aside name of an unfinished demote of this target, from its record. */
  interruptedAside(): string | null;
  asideName(epoch: number): string;
  runHooks(): Promise<readonly HookOutcome[]>;
  apply(op: ZfsOp): Promise<void>;
  /** One sync cycle from the primary into the demoted side. */
  sync(): Promise<{ readonly ok: boolean; readonly summary: string }>;
  record(update: {
    readonly phase: 'started' | 'done' | 'failed';
    readonly epoch: number;
    readonly aside: string | null;
    readonly detail?: string;
  }): Promise<void>;
}

export interface DemoteOptions {
  readonly dryRun: boolean;
  readonly syncCommand: string;
  readonly command: string;
  readonly commands?: DemoteCommands | undefined;
}

export interface DemoteOutcome {
  readonly state: ServiceState;
  readonly summary: string;
  readonly hint?: string;
  readonly refusal: Refusal | null;
  readonly plan: DemotePlan | null;
  /**
   * The epoch the demoted side carries for the alert (zfEpoch): the demotion's epoch, or when refused the one it
   * was listed with (0 when unmarked); null when it could not be read.
   */
  readonly datasetEpoch: number | null;
  readonly changed: boolean;
  readonly steps: readonly FlowStep[];
  readonly hooks: readonly HookOutcome[];
  readonly notes: readonly string[];
}

export const runDemoteFlow = async (env: DemoteEnv, o: DemoteOptions): Promise<DemoteOutcome> => {
  const source = await env.listSource();
  const target = await env.listTarget();
  const asideName = env.interruptedAside();
  const aside = asideName ? await env.listAside(asideName) : null;
  const epoch = source.datasets.get('')?.epoch ?? 0;
  const decision = decideDemote({
    now: env.now(),
    source,
    target,
    aside,
    asideName: asideName && !aside ? asideName : env.asideName(epoch),
    commands: o.commands,
  });
  const steps: FlowStep[] = [];
  const hooks: HookOutcome[] = [];
  const notes: string[] = [];
  let changed = false;
  const out = (state: ServiceState, summary: string, extra: Partial<DemoteOutcome> = {}): DemoteOutcome => ({
    state,
    summary,
    refusal: null,
    plan: decision.kind === 'refuse' ? null : decision,
    datasetEpoch: decision.kind === 'refuse' ? listedEpoch(target) : decision.epoch,
    changed,
    steps,
    hooks,
    notes: [...(decision.kind === 'refuse' ? [] : decision.notes), ...notes],
    ...extra,
  });
  if (decision.kind === 'refuse')
    return out('CRITICAL', `refused: ${decision.reason}`, { refusal: decision, ...(decision.hint ? { hint: decision.hint } : {}) });
  const p = decision;
  const keep = p.aside ? `, its diverged writes kept in ${p.aside}` : '';
  if (o.dryRun) return out('OK', `dry run: would make ${target.root} a replica of ${source.root} (epoch ${p.epoch})${keep}; nothing changed`);

  await env.record({ phase: 'started', epoch: p.epoch, aside: p.aside });
  if (p.hooks) {
    const r = await env.runHooks();
    hooks.push(...r);
    const failed = r.find((h) => !h.ok);
    if (failed) {
      await env.record({ phase: 'failed', epoch: p.epoch, aside: null, detail: `hook ${failed.name} failed` }).catch(() => undefined);
      return out('CRITICAL', `refused: hook ${failed.name} on ${failed.on} failed (${failed.detail}); nothing in ZFS was changed`, {
        hint: 'fix the hook, or skip it with --skip-hook NAME if its job is done',
      });
    }
  }
  for (const g of p.groups) {
    const done: string[] = [];
    for (const op of g.ops) {
      try {
        await env.apply(op);
        changed = true;
        done.push(describeOp(op));
      } catch (e) {
        const why = `${g.what}: ${describeOp(op)}: ${oneLine(e)}`;
        steps.push({ what: g.what, ok: false, detail: why, commands: done });
        await env.record({ phase: 'failed', epoch: p.epoch, aside: p.aside, detail: why }).catch(() => undefined);
        const kept = p.aside && changed ? ` (the diverged writes are safe in ${p.aside})` : '';
        return out('CRITICAL', `demote stopped midway: ${why}${kept}`, { hint: `fix the cause (a busy mount: stop what uses it) and re-run: ${o.command}` });
      }
    }
    if (g.ops.length > 0) steps.push({ what: g.what, ok: true, commands: done });
  }
  const sync = await env.sync();
  steps.push({ what: 'first sync from the primary', ok: sync.ok, detail: sync.summary });
  await env.record({ phase: 'done', epoch: p.epoch, aside: p.aside });
  const what = `${target.root} is a replica of ${source.root} (epoch ${p.epoch})${keep}`;
  if (!sync.ok) return out('WARNING', `${what}; first sync failed: ${sync.summary}`, { hint: fixLine(o.syncCommand, 'retries the first sync') });
  return out('OK', what);
};
