// `zfailover sync`: one replication cycle (ad hoc SOURCE TARGET..., or --job NAME / --all from the config).
import type { Command } from 'commander';
import type { SyncFlags } from '../../config/overrides.js';
import type { CommandDeps } from './deps.js';
import { collect, durationOption, portOption, sizeOption } from '../options.js';

/** Commander's option bag of `sync`: exactly the plain flags config and app read. */
export type SyncCliOptions = SyncFlags;

export const registerSync = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  program
    .command('sync')
    .description('replicate SOURCE to TARGET(s) once; sides are pool/ds or [user@]host[:port]:pool/ds')
    .argument('[source]', 'source dataset')
    .argument('[targets...]', 'one or more target datasets')
    .option('--job <name>', 'run the job NAME from the config')
    .option('--all', 'run every job in the config')
    .option('-r, --recursive', 'replicate the whole tree below SOURCE')
    .option('--exclude <dataset>', 'leave out this dataset (and its children); repeatable', collect)
    .option('--no-sync-snap', 'do not take a sync snapshot; replicate existing snapshots only')
    .option('--dry-run', 'print the plan and the exact commands, change nothing')
    .option('--deadline <duration>', 'stop (and leave a resumable state) after this long, e.g. 60s', durationOption)
    .option('--ssh-key <file>', 'ssh identity file')
    .option('--ssh-port <port>', 'ssh port when the side gives none', portOption)
    .option('--ssh-option <opt>', 'extra ssh -o option, e.g. UserKnownHostsFile=FILE; repeatable', collect)
    .option('--id <name>', 'job name for an ad-hoc run (default: derived from source and targets)')
    .option('--rollback-target', 'resolve target-newer/target-modified/diverged by rolling the target back to the common snapshot (destroys target-only data)')
    .option('--no-resume', 'do not use resumable receives')
    .option('--no-bookmarks', 'do not keep a cursor bookmark on the source')
    .option('--no-holds', 'do not hold the common snapshot on the target')
    .option('--raw', 'send raw (-w) even for unencrypted datasets')
    .option('--no-raw', 'send encrypted datasets decrypted (explicit opt-out of raw sends)')
    .option('--compress <program>', 'stream compression over ssh: zstd, lz4 or none')
    .option('--mbuffer', 'buffer the stream with mbuffer on both ends of ssh')
    .option('--bwlimit <rate>', 'bandwidth limit per second, e.g. 10M', sizeOption)
    .option('--initial <mode>', 'first replication: all (oldest full, then every snapshot) or newest')
    .action(async (source: string | undefined, targets: string[], opts: SyncCliOptions) => {
      const { runSyncCommand } = await import('../../app/sync.js');
      setResult(await runSyncCommand({ source, targets, opts, globals: globals(), ctx }));
    });
};
