// `zfailover status`: per job and side, the role, epoch, newest snapshot, lag and last sync, so an operator sees
// at a glance which side is primary. CRITICAL when two primaries are seen.
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { collect, portOption } from '../options.js';

export const registerStatus = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('status')
    .description('which side of each job is primary: role, epoch, newest snapshot, lag, last sync and promotions')
    .argument('[sides...]', 'SOURCE TARGET... as sync takes them (default: every job in the config)')
    .option('--job <name>', 'only this job; repeatable', collect)
    .option('-r, --recursive', 'ad hoc: the whole tree below the sides')
    .option('--ssh-key <file>', 'ssh identity file')
    .option('--ssh-port <port>', 'ssh port when the side gives none', portOption)
    .option('--ssh-option <opt>', 'extra ssh -o option; repeatable', collect)
    .action(async (sides: string[], opts) => {
      const { runStatusCommand } = await import('../../app/status.js');
      setResult(await runStatusCommand({ sides, opts, globals: globals(), ctx }));
    });
};
