// Every option of `zfailover sync`, declared once as data: commander's command (cli/commands/sync.ts) is built
// from SYNC_OPTIONS, and Monit's fast path (cli/fast-sync.ts) takes its --job and its defaults from the same
// entries. The values fill config's plain SyncFlags; NO_SYNC_FLAGS there is held to defaultsOf(SYNC_OPTIONS).
import { SSH_SIDE } from './shared.js';
import type { OptionSpec } from './spec.js';
import { concurrencyValue, durationValue, sizeValue } from './values.js';

/** `--job NAME`: the one option of Monit's line. */
export const SYNC_JOB: OptionSpec = { flags: '--job <name>', description: 'run the job NAME from the config', example: 'data' };

export const SYNC_OPTIONS: readonly OptionSpec[] = [
  SYNC_JOB,
  { flags: '--all', description: 'run every job in the config' },
  { flags: '-r, --recursive', description: 'replicate the whole tree below SOURCE' },
  { flags: '--exclude <dataset>', description: 'leave out this dataset (and its children); repeatable', repeatable: true, example: 'tank/tmp' },
  { flags: '--no-sync-snap', description: 'do not take a sync snapshot; replicate existing snapshots only' },
  { flags: '--dry-run', description: 'print the plan and the exact commands, change nothing' },
  { flags: '--deadline <duration>', description: 'stop (and leave a resumable state) after this long, e.g. 60s', parse: durationValue, example: '60s' },
  ...SSH_SIDE,
  { flags: '--id <name>', description: 'job name for an ad-hoc run (default: derived from source and targets)', example: 'pair' },
  {
    flags: '--rollback-target',
    description: 'resolve target-newer/target-modified/diverged by rolling the target back to the common snapshot (destroys target-only data)',
  },
  { flags: '--no-resume', description: 'do not use resumable receives' },
  { flags: '--no-bookmarks', description: 'do not keep a cursor bookmark on the source' },
  { flags: '--no-holds', description: 'do not hold the common snapshot on the target' },
  { flags: '--raw', description: 'send raw (-w) even for unencrypted datasets' },
  { flags: '--no-raw', description: 'send encrypted datasets decrypted (explicit opt-out of raw sends)' },
  { flags: '--compress <program>', description: 'stream compression over ssh: zstd, lz4 or none', example: 'zstd' },
  { flags: '--mbuffer', description: 'buffer the stream with mbuffer on both ends of ssh' },
  { flags: '--bwlimit <rate>', description: 'bandwidth limit per second, e.g. 10M', parse: sizeValue, example: '10M' },
  {
    flags: '--concurrency <n>',
    description: "dataset transfers at once per target, parents first (1 to 64; default: the job's, else 1)",
    parse: concurrencyValue,
    example: '4',
  },
  { flags: '--initial <mode>', description: 'first replication: all (oldest full, then every snapshot) or newest', example: 'newest' },
];
