// Promote/demote outcomes as a command result: one status line (what happened, or why it was refused), long
// output with each step and hook, and for --dry-run the preflight and every step with its exact commands.
import type { CommandResult } from '../../outcome.js';
import { formatDuration } from '../../core/duration.js';
import { describeOp, type OpGroup } from '../../core/failover/ops.js';
import type { DemoteOutcome } from '../demote/flow.js';
import type { FlowStep, HookOutcome, PromoteOutcome } from './flow.js';
import type { HookSpec } from './settings.js';

export interface RenderContext {
  readonly primary: string;
  readonly replica: string;
  readonly hooks: readonly HookSpec[];
  readonly skip: ReadonlySet<string>;
  readonly syncCommand: string;
  readonly dryRun: boolean;
  readonly json: boolean;
}

const stepLines = (steps: readonly FlowStep[]): string[] =>
  steps.flatMap((s) => [`${s.ok ? 'done' : 'FAILED'}: ${s.what}${s.detail ? ` (${s.detail})` : ''}`, ...(s.commands ?? []).map((c) => `    ${c}`)]);

const hookLines = (hooks: readonly HookOutcome[]): string[] => hooks.map((h) => `hook ${h.name} on ${h.on}: ${h.ok ? 'ok' : 'FAILED'}, ${h.detail}`);

const sideOf = (g: OpGroup, c: RenderContext): string => (g.side === 'primary' ? c.primary : c.replica);

const groupLines = (n: { i: number }, groups: readonly OpGroup[], c: RenderContext, suffix = ''): string[] =>
  groups.flatMap((g) => (g.ops.length === 0 ? [] : [`${n.i++}. ${g.what} (${sideOf(g, c)})${suffix}:`, ...g.ops.map((o) => `     ${describeOp(o)}`)]));

const hookPlan = (n: { i: number }, c: RenderContext, when: HookSpec['when'], mode: 'planned' | 'takeover' | null): string[] => {
  const hs = c.hooks.filter((h) => h.when === when && (mode === null || h.modes.includes(mode)));
  if (hs.length === 0) return [];
  return [
    `${n.i++}. ${when} hooks:`,
    ...hs.map(
      (h) =>
        `     ${h.name} on ${h.on === 'primary' ? c.primary : h.on === 'replica' ? c.replica : 'this host'}: ${h.run.join(' ')} (timeout ${h.timeout}s)${c.skip.has(h.name) ? ' [skipped]' : mode === 'takeover' && h.on === 'primary' ? ' [skipped: takeover]' : ''}`,
    ),
  ];
};

export const renderPromote = (o: PromoteOutcome, c: RenderContext): CommandResult => {
  const details = [...hookLines(o.hooks), ...stepLines(o.steps), ...o.notes.map((n) => `note: ${n}`), ...(o.hint ? [`fix: ${o.hint}`] : [])];
  const report = { ...o, plan: o.plan, refusal: o.refusal };
  const perfdata = o.epoch !== null ? `epoch=${o.epoch}${o.plan?.lagSeconds != null ? ` lag=${o.plan.lagSeconds}s` : ''}` : undefined;
  const result: CommandResult = { state: o.state, summary: o.summary, details, report, ...(perfdata ? { perfdata } : {}) };
  if (!c.dryRun || c.json || !o.plan) return result;
  const p = o.plan;
  const n = { i: 1 };
  const lines = [
    `DRY RUN: ${p.mode === 'planned' ? 'planned switchover' : 'takeover'} from ${c.primary} to ${c.replica}, new epoch ${p.epoch}`,
    `preflight: passed${p.lagSeconds !== null ? `; the replica is ${formatDuration(p.lagSeconds)} behind` : ''}${p.kind !== 'promote' ? ` (${p.kind}: ${p.notes[0] ?? 'already primary'})` : ''}`,
    ...p.notes.map((x) => `note: ${x}`),
    ...(p.hooksBefore ? hookPlan(n, c, 'before', p.mode) : []),
    ...groupLines(n, p.prepare, c),
    ...(p.finalSync
      ? [
          `${n.i++}. final sync: one cycle of ${c.syncCommand}`,
          `${n.i++}. verify: every dataset at the primary's newest snapshot, same GUID (else undo, run abort hooks)`,
        ]
      : []),
    ...groupLines(n, p.switch ?? o.preview ?? [], c, p.switch ? '' : ' (after the final sync)'),
    ...(p.hooksAfter ? hookPlan(n, c, 'after', p.mode) : []),
    `${n.i++}. record the promotion in the state directory; alert`,
    'nothing was changed (dry run)',
  ];
  return { ...result, text: lines.join('\n') };
};

export const renderDemote = (o: DemoteOutcome, c: RenderContext): CommandResult => {
  const details = [
    ...hookLines(o.hooks),
    ...stepLines(o.steps),
    ...o.notes.map((n) => `note: ${n}`),
    ...(o.plan?.asideOnly.length ? [`kept only aside: ${o.plan.asideOnly.join(', ')}`] : []),
    ...(o.hint ? [`fix: ${o.hint}`] : []),
  ];
  const result: CommandResult = { state: o.state, summary: o.summary, details, report: o, ...(o.plan ? { perfdata: `epoch=${o.plan.epoch}` } : {}) };
  if (!c.dryRun || c.json || !o.plan) return result;
  const p = o.plan;
  const n = { i: 1 };
  const lines = [
    `DRY RUN: make ${c.replica} a replica of ${c.primary} (epoch ${p.epoch})`,
    p.aside ? `its writes after the common snapshot are kept in ${p.aside} (renamed, readable; nothing is destroyed)` : 'nothing diverged: no aside needed',
    ...p.notes.map((x) => `note: ${x}`),
    ...(p.hooks ? hookPlan(n, c, 'demote', null) : []),
    ...groupLines(n, p.groups, c),
    `${n.i++}. first sync: one cycle of ${c.syncCommand}`,
    'nothing was changed (dry run)',
  ];
  return { ...result, text: lines.join('\n') };
};
