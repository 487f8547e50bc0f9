// `zfailover promote`: make the replica of a job the primary, by a planned switchover (the primary answers:
// stop writes, final sync, verify, switch: nothing lost) or a takeover (--takeover --force: the primary is gone).
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { collect, durationOption, portOption } from '../options.js';

export const registerPromote = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('promote')
    .description("make REPLICA the primary: a planned switchover from PRIMARY, or --takeover --force when PRIMARY is gone; run on the replica's host")
    .argument('[sides...]', 'PRIMARY REPLICA as sync takes them (pool/ds or [user@]host[:port]:pool/ds), or use --job')
    .option('--job <name>', 'the job from the config: its source is the primary, its target the replica')
    .option('--target <id>', 'which target of the job to promote (default: the only one, or the only local one)')
    .option('-r, --recursive', 'ad hoc: the whole tree below the sides (promoted as a whole or not at all)')
    .option('--exclude <dataset>', 'ad hoc: leave out this dataset of the primary (and its children); repeatable', collect)
    .option('--takeover', 'promote without the primary: roll to the newest complete snapshot and promote there')
    .option('--force', 'required with --takeover: writes the primary made after that snapshot stay behind (demote keeps them)')
    .option('--dry-run', 'run the preflight and print every step with its commands; change nothing')
    .option('--max-lag <duration>', 'planned: refuse when the replica is further behind (default: failover.max_lag, else 5m)', durationOption)
    .option('--skip-hook <name>', 'do not run this hook this time (its job is done by hand); repeatable', collect)
    .option('--accept-tree', 'takeover: promote each dataset at its newest snapshot even when they differ')
    .option('--ssh-key <file>', 'ssh identity file')
    .option('--ssh-port <port>', 'ssh port when the side gives none', portOption)
    .option('--ssh-option <opt>', 'extra ssh -o option; repeatable', collect)
    .option('--id <name>', 'ad hoc: the job name its sync runs under (default: derived from the sides, as sync does)')
    .action(async (sides: string[], opts) => {
      const { runPromoteCommand } = await import('../../app/promote.js');
      setResult(await runPromoteCommand({ sides, opts, globals: globals(), ctx }));
    });
};
