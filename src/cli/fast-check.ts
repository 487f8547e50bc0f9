// The usual plugin lines, `check_zfs_rpo|divergence|job --job NAME [--config F] [-w R] [-c R] [-t T] ...` (and
// `zfailover [--config F] [--state-dir D] check <name> ...`), parsed without commander: loading and building
// its tree is ~20 ms of every check. Only options taking a plain separate value (or `--long=value`) and flags are
// taken, each at most once (--job repeatable), with values checked by the same functions commander's parsers
// call; anything else (a positional, another option, a short option glued to its value, a value starting
// with '-', a value those functions refuse, help, version) goes to commander as before, so usage errors keep
// one parser. test/unit/cli/fast-check.test.ts holds both to the same input on every taken line.
import { parseDuration } from '../core/duration.js';
import type { Range } from '../plugin/range.js';
import { countValue, thresholdValue, timeoutValue, type MetricKind } from '../plugin/values.js';
import type { SelectionCheck, SelectionCheckInput } from './commands/check-run.js';
import type { GlobalOptions } from '../app/context.js';

export interface FastCheck {
  readonly name: SelectionCheck;
  readonly globals: GlobalOptions;
  readonly opts: SelectionCheckInput['opts'];
}

const KIND: Readonly<Record<SelectionCheck, MetricKind>> = { rpo: 'duration', divergence: 'count', job: 'duration' };

// Program options commander takes wherever they appear, before or after `check <name>`.
const GLOBAL: Readonly<Record<string, 'config' | 'stateDir'>> = { '--config': 'config', '--state-dir': 'stateDir' };

type Value = Range | number | string;
/** Options with a value: the opts key and the value parser (null or a throw: refused, left to commander). */
const valued = (name: SelectionCheck): Readonly<Record<string, readonly [string, (v: string) => Value | null]>> => {
  const threshold = (v: string): Range => thresholdValue(KIND[name], v);
  const common = {
    '-w': ['warning', threshold],
    '--warning': ['warning', threshold],
    '-c': ['critical', threshold],
    '--critical': ['critical', threshold],
    '-t': ['timeout', timeoutValue],
    '--timeout': ['timeout', timeoutValue],
    '--max-lines': ['maxLines', (v: string) => countValue(0, v)],
  } as const;
  if (name !== 'job') return common;
  return {
    ...common,
    '--failures-warning': ['failuresWarning', (v: string) => countValue(1, v)],
    '--failures-critical': ['failuresCritical', (v: string) => countValue(1, v)],
    '--max-runtime': ['maxRuntime', parseDuration],
    '--prune-horizon': ['pruneHorizon', parseDuration],
  };
};

/** Flags: the opts key and the value they set. The `--no-*` ones default to true (commander's rule). */
const FLAGS: Readonly<Record<SelectionCheck, Readonly<Record<string, readonly [string, boolean]>>>> = {
  rpo: { '--all': ['all', true], '--no-estimate': ['estimate', false] },
  divergence: { '--all': ['all', true] },
  job: { '--all': ['all', true], '--no-zfs': ['zfs', false] },
};

/** `--name value` or `--name=value` (long names only: commander reads `-w=1` as the value `=1`). */
const split = (argv: readonly string[], i: number): [string, string | undefined, number] => {
  const arg = argv[i] ?? '';
  const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
  return eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1), i + 1] : [arg, argv[i + 1], i + 2];
};
// An empty value or one starting with '-' is left to commander, whose rules for those are its own.
const plain = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');

export const fastCheck = (argv: readonly string[]): FastCheck | null => {
  const globals: { config?: string; stateDir?: string } = {};
  const global = (name: string, value: string | undefined): boolean => {
    const key = GLOBAL[name];
    if (key === undefined || !plain(value) || globals[key] !== undefined) return false;
    globals[key] = value;
    return true;
  };
  let i = 0;
  while (i < argv.length && argv[i] !== 'check') {
    const [name, value, next] = split(argv, i);
    if (!global(name, value)) return null;
    i = next;
  }
  const name = argv[i + 1];
  if (argv[i] !== 'check' || (name !== 'rpo' && name !== 'divergence' && name !== 'job')) return null;
  const VALUED = valued(name);
  const flags = FLAGS[name];
  // Commander's option values: the --no-* defaults first, then each option in the order given.
  const opts: Record<string, unknown> = {};
  for (const [key, value] of Object.values(flags)) if (!value) opts[key] = true;
  const seen = new Set<string>();
  for (i += 2; i < argv.length; ) {
    const arg = argv[i] as string;
    const flag = flags[arg];
    if (flag) {
      if (seen.has(flag[0])) return null;
      seen.add(flag[0]);
      opts[flag[0]] = flag[1];
      i += 1;
      continue;
    }
    const [option, value, next] = split(argv, i);
    i = next;
    if (GLOBAL[option] !== undefined) {
      if (!global(option, value)) return null;
      continue;
    }
    if (!plain(value)) return null;
    if (option === '--job') {
      opts.job = [...((opts.job as string[] | undefined) ?? []), value];
      continue;
    }
    const spec = VALUED[option];
    if (!spec || seen.has(spec[0])) return null;
    seen.add(spec[0]);
    let parsed: Value | null;
    try {
      parsed = spec[1](value);
    } catch {
      return null;
    }
    if (parsed === null) return null;
    opts[spec[0]] = parsed;
  }
  return {
    name,
    globals: { config: globals.config, stateDir: globals.stateDir, json: false, logFile: undefined, logLevel: undefined, verbose: false },
    opts: opts as FastCheck['opts'],
  };
};
