// The usual plugin lines, `check_zfs_rpo|divergence|job --job NAME [--config F] [-w R] [-c R] [-t T] ...` (and
// `zfailover [--config F] [--state-dir D] check <name> ...`), parsed without commander: loading and building
// its tree is ~20 ms of every check. A view of the check's option table (options/check.ts), not a copy: it takes
// the options fastView names (each at most once, --job repeatable) with the values their declared parsers accept,
// and the program's paths anywhere; anything else (a positional, an ad-hoc option, a short option glued to its
// value, a value starting with '-' or refused, help, version) goes to commander, so usage errors keep one parser.
// test/unit/cli/fast-check.test.ts and option-tables.test.ts hold both to the same input on every taken line.
import type { GlobalOptions } from '../app/context.js';
import type { SelectionCheckInput } from './commands/check-run.js';
import { CHECKS, fastView, SELECTION_CHECKS, type SelectionCheck } from './options/check.js';
import { PATH_GLOBALS } from './options/global.js';
import { defaultsOf, namesOf, readOption, type Read } from './options/spec.js';

export interface FastCheck {
  readonly name: SelectionCheck;
  readonly globals: GlobalOptions;
  readonly opts: SelectionCheckInput['opts'];
}

/** The program's paths read off the command line, commander's key (config, stateDir) each at most once. */
export const readGlobal = (argv: readonly string[], i: number, globals: Record<string, string>): number | null => {
  const r: Read | null = readOption(argv, i, PATH_GLOBALS);
  if (r === null) return null;
  const key = namesOf(r.spec).key;
  if (globals[key] !== undefined) return null;
  globals[key] = r.value as string;
  return r.next;
};

/** The globals commander's program gives when only the paths were given. */
export const pathGlobals = (globals: Record<string, string>): GlobalOptions => ({
  config: globals.config,
  stateDir: globals.stateDir,
  json: false,
  logFile: undefined,
  logLevel: undefined,
  verbose: false,
});

export const fastCheck = (argv: readonly string[]): FastCheck | null => {
  const globals: Record<string, string> = {};
  let i = 0;
  while (i < argv.length && argv[i] !== 'check') {
    const next = readGlobal(argv, i, globals);
    if (next === null) return null;
    i = next;
  }
  const name = SELECTION_CHECKS.find((n) => n === argv[i + 1]);
  if (argv[i] !== 'check' || name === undefined) return null;
  const view = fastView(name);
  // Commander's option values: the table's `--no-*` defaults first, then each option in the order given.
  const opts: Record<string, unknown> = defaultsOf(CHECKS[name].options);
  const seen = new Set<string>();
  for (i += 2; i < argv.length;) {
    const global = readGlobal(argv, i, globals);
    if (global !== null) {
      i = global;
      continue;
    }
    // A program path given twice is commander's to refuse, not an option of the check.
    if (readOption(argv, i, PATH_GLOBALS) !== null) return null;
    const r = readOption(argv, i, view);
    if (r === null) return null;
    const key = namesOf(r.spec).key;
    if (r.spec.repeatable) opts[key] = [...((opts[key] as unknown[] | undefined) ?? []), r.value];
    else if (seen.has(key)) return null;
    else opts[key] = r.value;
    seen.add(key);
    i = r.next;
  }
  return { name, globals: pathGlobals(globals), opts: opts as FastCheck['opts'] };
};
