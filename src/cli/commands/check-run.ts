// The action of `check rpo|divergence|job`, shared by commander's tree (check.ts) and the plugins'
// commander-free fast path (cli/fast-check.ts), so both run one body: the check, then its alert.
import type { CliContext, GlobalOptions } from '../context.js';
import type { CommandResult } from '../result.js';
import type { CheckCliOptions } from '../../checks/run.js';
import type { JobCliOptions } from '../../checks/job-probe.js';

export type SelectionCheck = 'rpo' | 'divergence' | 'job';

export interface SelectionCheckInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: CheckCliOptions & JobCliOptions;
  readonly globals: GlobalOptions;
  readonly ctx: CliContext;
}

export const runSelectionCheck = async (name: SelectionCheck, input: SelectionCheckInput): Promise<CommandResult> => {
  const { source, targets, opts, globals, ctx } = input;
  const job = Array.isArray(opts.job) ? opts.job.join(',') : ((opts.job as string | undefined) ?? (source ? 'adhoc' : 'all'));
  const subject = source ? [source, ...targets].join(' ') : '*';
  const result =
    name === 'job'
      ? await (await import('../../checks/job-probe.js')).runJobCheck({ source, targets, opts, globals, ctx })
      : await (await import('../../checks/run.js')).runReplicationCheck(name, { source, targets, opts, globals, ctx });
  // Every check result also goes to the alert book (once per change, when `alerts:` is configured).
  const { alertResult } = await import('../../alert/producer.js');
  return alertResult({ source: 'check', kind: `check-${name}`, job, subject }, result, globals, ctx);
};
