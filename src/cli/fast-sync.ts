// The Monit line, `zfailover [--config FILE] [--state-dir DIR] sync --job NAME`, parsed without commander:
// building the command tree costs ~10 ms of every 15-second cycle. A view of sync's option table
// (options/sync.ts): its --job declaration and the defaults the table gives; only this exact shape is taken,
// anything else (another option, a repeat, a value that looks like an option) goes to commander as before, so
// help, usage errors and every other flag keep one parser. test/unit/cli/fast-sync.test.ts holds both to one result.
import type { SyncCliOptions } from './commands/sync.js';
import type { GlobalOptions } from '../app/context.js';
import { pathGlobals, readGlobal } from './fast-check.js';
import { SYNC_JOB, SYNC_OPTIONS } from './options/sync.js';
import { defaultsOf, readOption } from './options/spec.js';

export interface FastSync {
  readonly globals: GlobalOptions;
  readonly opts: SyncCliOptions;
}

export const fastSync = (argv: readonly string[]): FastSync | null => {
  const globals: Record<string, string> = {};
  let i = 0;
  while (i < argv.length && argv[i] !== 'sync') {
    const next = readGlobal(argv, i, globals);
    if (next === null) return null;
    i = next;
  }
  if (argv[i] !== 'sync') return null;
  const job = readOption(argv, i + 1, [SYNC_JOB]);
  if (!job || job.next !== argv.length) return null;
  // What commander gives `sync --job NAME`: the table's --no-* defaults, then the job.
  return { globals: pathGlobals(globals), opts: { ...defaultsOf(SYNC_OPTIONS), job: job.value } as SyncCliOptions };
};
