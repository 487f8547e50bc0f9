// The Monit line, `zfailover [--config FILE] [--state-dir DIR] sync --job NAME`, parsed without commander:
// building the command tree costs ~10 ms of every 15-second cycle. Only this exact shape is taken; anything
// else (another option, a repeat, a value that looks like an option) goes to commander as before, so help,
// usage errors and every other flag keep one parser. test/unit/cli/fast-sync.test.ts holds both to one result.
import type { SyncCliOptions } from './commands/sync.js';
import type { GlobalOptions } from '../app/context.js';
import { NO_SYNC_FLAGS } from '../config/overrides.js';

export interface FastSync {
  readonly globals: GlobalOptions;
  readonly opts: SyncCliOptions;
}

const GLOBAL = new Set(['--config', '--state-dir']);

/** `--name value` or `--name=value` at argv[i]: [name, value, next index], or null for any other form. */
const option = (argv: readonly string[], i: number): [string, string, number] | null => {
  const arg = argv[i] ?? '';
  const eq = arg.indexOf('=');
  const [name, value, next] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1), i + 1] : [arg, argv[i + 1], i + 2];
  // An empty value or one starting with '-' is left to commander, whose rules for those are its own.
  if (value === undefined || value === '' || value.startsWith('-')) return null;
  return [name, value, next];
};

export const fastSync = (argv: readonly string[]): FastSync | null => {
  const globals = new Map<string, string>();
  let i = 0;
  while (i < argv.length && argv[i] !== 'sync') {
    const o = option(argv, i);
    if (!o || !GLOBAL.has(o[0]) || globals.has(o[0])) return null;
    globals.set(o[0], o[1]);
    i = o[2];
  }
  if (argv[i] !== 'sync') return null;
  const job = option(argv, i + 1);
  if (!job || job[0] !== '--job' || job[2] !== argv.length) return null;
  return {
    globals: {
      config: globals.get('--config'),
      stateDir: globals.get('--state-dir'),
      json: false,
      logFile: undefined,
      logLevel: undefined,
      verbose: false,
    },
    // What commander gives `sync --job NAME`: the --no-* flags default to true, everything else is unset.
    opts: { job: job[1], ...NO_SYNC_FLAGS },
  };
};
