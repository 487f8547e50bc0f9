// `zfailover prune`: destroy, on each side, the snapshots its retention policy no longer keeps (never a
// common snapshot a replica needs, a held one, or a name prune does not own).
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { collect, nowOption } from '../options.js';

export const registerPrune = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('prune')
    .description("destroy the snapshots each side's retention policy no longer keeps (--dry-run explains every snapshot)")
    .option('--job <name>', "prune only this job's source and targets; repeatable (default: every snapshots entry and job)", collect)
    .option('--dry-run', 'list every snapshot with what would happen to it and why; change nothing')
    .option('--trust-listing', 'prune even though the snapshot count fell by half since the last run')
    .addOption(nowOption())
    .action(async (opts) => {
      const { runPruneCommand } = await import('../../app/prune.js');
      const result = await runPruneCommand({ opts, globals: globals(), ctx });
      if (opts.dryRun) return setResult(result);
      const { alertResult } = await import('../../app/alert-producer.js');
      const job = Array.isArray(opts.job) && opts.job.length > 0 ? opts.job.join(',') : 'all';
      setResult(await alertResult({ source: 'prune', kind: 'prune', job, subject: '*' }, result, globals(), ctx));
    });
};
