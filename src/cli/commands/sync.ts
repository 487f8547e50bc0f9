// `zfailover sync`: one replication cycle (ad hoc SOURCE TARGET..., or --job NAME / --all from the config).
import type { Command } from 'commander';
import type { SyncFlags } from '../../config/overrides.js';
import type { CommandDeps } from './deps.js';
import { addOptions } from '../options/commander.js';
import { SYNC_OPTIONS } from '../options/sync.js';

/** Commander's option bag of `sync`: exactly the plain flags config and app read. */
export type SyncCliOptions = SyncFlags;

export const registerSync = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  // Every option comes from the table (options/sync.ts), which Monit's fast path reads too.
  addOptions(
    program
      .command('sync')
      .description('replicate SOURCE to TARGET(s) once; sides are pool/ds or [user@]host[:port]:pool/ds')
      .argument('[source]', 'source dataset')
      .argument('[targets...]', 'one or more target datasets'),
    SYNC_OPTIONS,
  ).action(async (source: string | undefined, targets: string[], opts: SyncCliOptions) => {
    const { runSyncCommand } = await import('../../app/sync.js');
    setResult(await runSyncCommand({ source, targets, opts, globals: globals(), ctx }));
  });
};
