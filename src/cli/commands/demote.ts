// `zfailover demote`: make a side (an old primary back from an outage) a replica of the primary, keeping every
// write it made after the histories split in a readable aside dataset, then replicate into it.
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { collect, portOption } from '../options.js';

export const registerDemote = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('demote')
    .description('make SIDE a replica of PRIMARY (sides as the reverse sync takes them); its diverged writes are kept aside, nothing is rolled back over')
    .argument('[sides...]', 'PRIMARY SIDE-TO-DEMOTE (pool/ds or [user@]host[:port]:pool/ds), or use --job')
    .option('--job <name>', 'the reverse job from the config: its source is the primary, its target the side to demote')
    .option('--target <id>', 'which target of the job to demote (default: the only one, or the only local one)')
    .option('-r, --recursive', 'ad hoc: the whole tree below the sides')
    .option('--exclude <dataset>', 'ad hoc: leave out this dataset of the primary (and its children); repeatable', collect)
    .option('--dry-run', 'print what would be kept and every step with its commands; change nothing')
    .option('--skip-hook <name>', 'do not run this demote hook this time; repeatable', collect)
    .option('--ssh-key <file>', 'ssh identity file')
    .option('--ssh-port <port>', 'ssh port when the side gives none', portOption)
    .option('--ssh-option <opt>', 'extra ssh -o option; repeatable', collect)
    .option('--id <name>', 'ad hoc: the job name its sync runs under (default: derived from the sides, as sync does)')
    .action(async (sides: string[], opts) => {
      const { runDemoteCommand } = await import('../../app/demote.js');
      setResult(await runDemoteCommand({ sides, opts, globals: globals(), ctx }));
    });
};
