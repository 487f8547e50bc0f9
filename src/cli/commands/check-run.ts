// The action of `check rpo|divergence|job`, shared by commander's tree (check.ts) and the plugins'
// commander-free fast path (cli/fast-check.ts), so both run one body: the check, then its alert.
import type { CliContext, GlobalOptions } from '../../app/context.js';
import type { CommandResult } from '../../outcome.js';
import type { CheckCliOptions } from '../../app/check.js';
import type { JobCliOptions } from '../../checks/job-probe.js';
import { formatRange, type Range } from '../../plugin/range.js';
import { CHECKS, type CheckName, type SelectionCheck } from '../options/check.js';
import { namesOf } from '../options/spec.js';

/**
 * The alert kind of a check run: `check-<name>`, plus the -w/-c the caller gave, so two callers with
 * different thresholds (Nagios every minute, a person with `-w 1s`) keep separate alert memories instead of
 * fighting over one (a WARNING then a FLAPPING OK four seconds later).
 */
export const checkAlertKind = (name: CheckName, opts: { warning?: Range | undefined; critical?: Range | undefined }): string =>
  [
    `check-${name}`,
    ...(opts.warning ? [shortName(name, 'warning'), formatRange(opts.warning)] : []),
    ...(opts.critical ? [shortName(name, 'critical'), formatRange(opts.critical)] : []),
  ].join(' ');

/** The name an operator types for the option filling `key` (-w, -c), from the check's table. */
const shortName = (name: CheckName, key: string): string => {
  const spec = CHECKS[name].options.find((s) => namesOf(s).key === key);
  if (!spec) throw new Error(`check ${name} declares no ${key} option`);
  return namesOf(spec).short ?? namesOf(spec).long;
};

export type { SelectionCheck };

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
      ? await (await import('../../app/check-job.js')).runJobCheck({ source, targets, opts, globals, ctx })
      : await (await import('../../app/check.js')).runReplicationCheck(name, { source, targets, opts, globals, ctx });
  // zfailover's own alerts only with `checks.send_alerts: true` (the producer checks), once per change.
  const { alertResult } = await import('../../app/alert-producer.js');
  return alertResult({ source: 'check', kind: checkAlertKind(name, opts), job, subject }, result, globals, ctx);
};
