// What a prune run tells the operator: one status line (what went, what stayed, what is wrong), a line per
// dataset, the dry-run listing with the reason for every snapshot, and the state files the job check reads.
import { worstState, type ServiceState } from '../../outcome.js';
import type { CommandResult } from '../../outcome.js';
import { describePolicy, type Policy } from '../../core/retention/policy.js';
import type { PruneItem } from '../../core/retention/prune.js';
import { wallOf } from '../../core/retention/zone.js';
import { formatSide } from '../../zfs/side.js';
import type { DatasetPrune, Problem, PruneRunResult } from './run.js';
import { PRUNE_STATE_VERSION, type PruneState } from './state.js';

const slotText = (policy: Policy, slot: number): string => new Date(wallOf(policy.timeZone, slot)).toISOString().slice(0, 16).replace('T', ' ');

/** Why a snapshot stays or goes, in one phrase. */
export const reasonText = (item: PruneItem, policy: Policy): string => {
  const r = item.policy;
  const would =
    r.kind === 'beyond-keep'
      ? `${r.label}: beyond keep ${r.keep} (rank ${r.rank})`
      : r.kind === 'duplicate'
        ? `${r.label}: second in slot ${slotText(policy, r.slot)} (${r.keeper} represents it)`
        : '';
  const peers = item.peers.join(', ');
  switch (item.code) {
    case 'policy':
      return r.kind === 'slot' ? `${r.label}: rank ${r.rank} of ${r.keep} (slot ${slotText(policy, r.slot)})` : 'kept';
    case 'beyond-keep':
    case 'duplicate':
      return would;
    case 'other-name':
      return 'not a retention name';
    case 'unknown-label':
      return `label '${item.label}' is not in the policy`;
    case 'future':
      return r.kind === 'future' ? `dated ${new Date(r.time).toISOString()}, in the future (clock skew?)` : 'dated in the future';
    case 'foreign-name':
      return `${would}, but not a name prune may destroy (prune_names: ${policy.prune.join(', ') || 'none'})`;
    case 'held':
      return `${would}, but held (${item.snapshot.userrefs ?? '?'} hold(s))`;
    case 'newest-common':
      return `${would}, but the newest snapshot in common with ${peers}`;
    case 'needed-by-target':
      return `${would}, but not yet on ${peers}, which keeps it`;
    case 'pileup-ceiling':
      return `${would}; not yet on ${peers}, but the pile-up ceiling (${policy.pileupCeiling}) is reached`;
    case 'frozen':
      return `${would}, but nothing is destroyed here`;
  }
};

const subject = (d: DatasetPrune): string => `${formatSide(d.where)}${d.role === 'source' ? '' : ` (${d.role})`}`;

const kept = (d: DatasetPrune): number => d.decision.items.length - d.decision.destroy.length;

/** Per-dataset state of a run: destroy failures, frozen datasets, pile-ups beyond the ceiling. */
type Line = Pick<Problem, 'state' | 'subject' | 'text'>;

const datasetFindings = (d: DatasetPrune): Line[] => {
  const out: Line[] = [];
  if (d.failure) out.push({ state: d.failure.state, subject: subject(d), text: `destroy failed: ${d.failure.message}` });
  if (d.decision.frozen) out.push({ state: 'WARNING', subject: subject(d), text: `nothing destroyed: ${d.decision.frozen}` });
  const p = d.decision.pileup;
  if (p.exceeded)
    out.push({
      state: 'WARNING',
      subject: subject(d),
      text: `pile-up: ${p.count} snapshots still needed by a target, ceiling ${p.ceiling}; ${p.count - p.kept} released`,
    });
  return out;
};

export const summarizePrune = (run: PruneRunResult, opts: { dryRun: boolean }): CommandResult => {
  const findings: Line[] = [...run.problems, ...run.datasets.flatMap(datasetFindings)];
  const state: ServiceState = worstState(findings.map((f) => f.state));
  const planned = run.datasets.reduce((n, d) => n + d.decision.destroy.length, 0);
  const destroyed = run.datasets.reduce((n, d) => n + d.destroyed.length, 0);
  const keptAll = run.datasets.reduce((n, d) => n + kept(d), 0);
  const touched = run.datasets.filter((d) => (opts.dryRun ? d.decision.destroy.length : d.destroyed.length) > 0).length;
  const n = opts.dryRun ? planned : destroyed;
  const pileup = Math.max(0, ...run.datasets.map((d) => d.decision.pileup.count));
  const main =
    run.datasets.length === 0
      ? 'no datasets with a retention policy'
      : n === 0
        ? `nothing to prune on ${run.datasets.length} dataset(s), ${keptAll} snapshots kept`
        : `${opts.dryRun ? 'would destroy' : 'destroyed'} ${n} snapshot(s) on ${touched} dataset(s), ${keptAll} kept`;
  const worst = findings.find((f) => f.state === state && state !== 'OK');
  return {
    state: run.datasets.length === 0 && findings.length === 0 ? 'UNKNOWN' : state,
    summary: worst ? `${worst.subject}: ${worst.text}; ${main}` : main,
    perfdata: `destroyed=${n};;;0 kept=${keptAll};;;0 pileup=${pileup};;;0`,
    details: [
      ...findings.filter((f) => f !== worst).map((f) => `${f.state}: ${f.subject}: ${f.text}`),
      ...run.datasets.map(
        (d) =>
          `${subject(d)}: ${opts.dryRun ? 'would destroy' : 'destroyed'} ${opts.dryRun ? d.decision.destroy.length : d.destroyed.length}, kept ${kept(d)}${d.decision.pileup.count ? `, ${d.decision.pileup.kept} kept for lagging targets` : ''}`,
      ),
    ],
    report: {
      dryRun: opts.dryRun,
      problems: findings,
      datasets: run.datasets.map((d) => ({
        dataset: formatSide(d.where),
        role: d.role,
        policy: describePolicy(d.policy),
        frozen: d.decision.frozen,
        pileup: d.decision.pileup,
        destroyed: d.destroyed,
        failure: d.failure,
        items: d.decision.items.map((i) => ({ snapshot: i.snapshot.name, action: i.action, code: i.code, label: i.label, why: reasonText(i, d.policy) })),
      })),
    },
  };
};

/** `--dry-run`: every snapshot of every dataset with its fate and the reason. */
export const renderPrunePlan = (run: PruneRunResult, result: CommandResult, now: number): string => {
  const lines = [`prune plan at ${new Date(now).toISOString()} (dry run: nothing is destroyed)`];
  for (const p of run.problems) lines.push(`${p.state}: ${p.subject}: ${p.text}`);
  for (const d of run.datasets) {
    lines.push('', `${subject(d)}  [${describePolicy(d.policy)}${d.policy.prune.length ? `; prunes ${d.policy.prune.join(', ')} names` : ''}]`);
    if (d.decision.frozen) lines.push(`  frozen: ${d.decision.frozen}`);
    const width = Math.max(0, ...d.decision.items.map((i) => i.snapshot.name.length));
    for (const i of d.decision.items)
      lines.push(`  ${i.action === 'destroy' ? 'destroy' : 'keep   '}  ${i.snapshot.name.padEnd(width)}  ${reasonText(i, d.policy)}`);
  }
  lines.push('', `${result.state}: ${result.summary}`);
  return `${lines.join('\n')}\n`;
};

/** State files after a run: one per job (and per `snapshots:` entry outside any job). */
export const pruneStates = (run: PruneRunResult, names: readonly string[], now: number): PruneState[] =>
  names.map((name) => ({
    version: PRUNE_STATE_VERSION,
    name,
    at: now,
    datasets: run.datasets
      .filter((d) => d.stateNames.includes(name))
      .map((d) => {
        // A source shared by several jobs: count what this job's targets hold back.
        const mine = d.decision.items.filter(
          (i) => (i.code === 'needed-by-target' || i.code === 'pileup-ceiling') && i.peers.some((p) => p.startsWith(`${name}/`) || d.role !== 'source'),
        );
        const count = d.role === 'source' && d.stateNames.length > 1 ? mine.length : d.decision.pileup.count;
        return {
          side: d.role,
          name: formatSide(d.where),
          snapshots: d.decision.items.length,
          count,
          kept: Math.min(count, d.decision.pileup.kept),
          ceiling: d.decision.pileup.ceiling,
        };
      }),
  }));
