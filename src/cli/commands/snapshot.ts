// `zfailover snapshot`: take the snapshots that are due now (from the config's `snapshots:` entries), or the
// zfs-auto-snapshot drop-in `--label L --keep N [-r] DATASET...|//`.
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { collect, durationOption, nowOption } from '../options.js';
import { InvalidArgumentError, Option } from 'commander';

const keepOption = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`not a positive whole number: '${v}'`);
  return Number(v);
};

export const registerSnapshot = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('snapshot')
    .description('take the snapshots that are due now (idempotent within a slot); or, with --label, a zfs-auto-snapshot drop-in')
    .argument('[datasets...]', "config mode: only these snapshots: entries; drop-in: datasets, or '//' for every pool")
    .option('-l, --label <label>', 'drop-in: label of the snapshot (zfailover_<label>_<time>)')
    .option('-k, --keep <n>', 'drop-in: keep the newest N of the label (like zfs-auto-snapshot --keep)', keepOption)
    .option('-r, --recursive', 'drop-in: also every dataset below (one atomic snapshot per label)')
    .option('--every <duration>', 'drop-in: one snapshot per interval (default 1m: a second run in the same minute takes nothing)', durationOption)
    .option('--exclude <dataset>', 'drop-in: leave out this dataset and its children; repeatable', collect)
    .option('--prune-names <families>', 'drop-in: names --keep may destroy: zfailover,zfs-auto-snap,sanoid (default zfailover)', (v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option('--dry-run', 'show what is due and would be taken; change nothing')
    // zfs-auto-snapshot's -q/-g, accepted so its cron lines work unchanged: zfailover is quiet and logs to its log file.
    .addOption(new Option('-q, --quiet', 'drop-in: accepted for zfs-auto-snapshot compatibility (no effect)').hideHelp())
    .addOption(new Option('-g, --syslog', 'drop-in: accepted for zfs-auto-snapshot compatibility (no effect)').hideHelp())
    .addOption(nowOption())
    .action(async (datasets: string[], opts) => {
      const { runSnapshotCommand } = await import('../../app/snapshot.js');
      const result = await runSnapshotCommand({ datasets, opts, globals: globals(), ctx });
      if (opts.dryRun) return setResult(result);
      const { alertResult } = await import('../../app/alert-producer.js');
      const job = opts.label ? `snapshot-${opts.label}` : 'snapshot';
      setResult(
        await alertResult({ source: 'snapshot', kind: 'snapshot', job, subject: datasets.length > 0 ? datasets.join(' ') : '*' }, result, globals(), ctx),
      );
    });
};
