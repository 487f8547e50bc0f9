// What an option declaration is: plain data (flags as commander spells them, help text, value parser), and what
// follows from it, without commander: its names, its key, its default (`--no-x` gives x: true) and how one
// option is read off an argv. Commander's Options (options/commander.ts) and the commander-free fast paths
// (cli/fast-check.ts, cli/fast-sync.ts) are both derived from the same declarations (options/check.ts, ...).
export interface OptionSpec {
  /** As commander spells them: '-w, --warning <range>', '--all', '--no-estimate', '--job <name>'. */
  readonly flags: string;
  readonly description: string;
  /** The value parser: returns the value or throws (a UsageError: its message is the usage error's reason). */
  readonly parse?: (value: string) => unknown;
  /** Given again, the values are collected into an array. */
  readonly repeatable?: boolean;
  /** The values commander allows (a usage error names them). */
  readonly choices?: readonly string[];
  /** Accepted but not shown in --help. */
  readonly hidden?: boolean;
  /** `-V, --version`: commander prints the version and exits 3; the fast paths never take it. */
  readonly version?: boolean;
  /** A plugin run by sudo for another user accepts it (cli/restricted.ts): it only chooses what to check and how to rate it. */
  readonly sudo?: boolean;
  /** A value the option takes: shown nowhere, used by the tests that drive every declared option through both parsers. */
  readonly example?: string;
}

export interface OptionNames {
  readonly long: string;
  readonly short: string | undefined;
  /** The property name in commander's option values: camelCase of the long name, without `no-`. */
  readonly key: string;
  /** `--no-x`: sets x to false, and x defaults to true (unless `--x` is declared before it). */
  readonly negate: boolean;
  /** Takes a value (`<v>` required; `[v]` optional values are not used by zfailover). */
  readonly valued: boolean;
}

const FLAGS = /^(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: <[a-z.-]+>)?$/;
const cache = new WeakMap<OptionSpec, OptionNames>();

/** The names of a declaration; throws on flags this module does not read (so a bad declaration fails every test). */
export const namesOf = (spec: OptionSpec): OptionNames => {
  const known = cache.get(spec);
  if (known) return known;
  const m = FLAGS.exec(spec.flags);
  if (!m) throw new Error(`option flags not understood: '${spec.flags}'`);
  const long = m[2] as string;
  const negate = long.startsWith('--no-');
  const key = long
    .slice(negate ? 5 : 2)
    .split('-')
    .map((w, i) => (i === 0 ? w : `${w.charAt(0).toUpperCase()}${w.slice(1)}`))
    .join('');
  const names = { long, short: m[1], key, negate, valued: spec.flags.includes(' <') };
  cache.set(spec, names);
  return names;
};

/** Commander's option values before any option is read: `--no-x` sets x: true, unless `--x` came first. */
export const defaultsOf = (table: readonly OptionSpec[]): Record<string, boolean> => {
  const out: Record<string, boolean> = {};
  const positive = new Set<string>();
  for (const spec of table) {
    const n = namesOf(spec);
    if (!n.negate) positive.add(n.key);
    else if (!positive.has(n.key) && !(n.key in out)) out[n.key] = true;
  }
  return out;
};

/** Restricted/help views: every name (short and long) of the declarations. */
export const flagNames = (table: readonly OptionSpec[]): string[] =>
  table.flatMap((s) => [namesOf(s).short, namesOf(s).long].filter((n): n is string => n !== undefined));

/** A value the fast paths take as it is: commander has rules of its own for empty ones and ones starting with '-'. */
const plain = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');

/** One option read off argv[i]: its declaration, its value and the next index; null for anything else. */
export interface Read {
  readonly spec: OptionSpec;
  readonly value: unknown;
  readonly next: number;
}

/**
 * Reads argv[i] as one of `table`'s options, the way commander would, or answers null (leave it to commander):
 * `--long`, `-s` flags; `--long value`, `--long=value`, `-s value` with a plain value the declaration's parser
 * accepts. Not taken: glued short options (`-w1`; commander reads `-w=1` as the value `=1`), a value refused by
 * the parser, an empty value or one starting with '-', `--flag=x`, version.
 */
export const readOption = (argv: readonly string[], i: number, table: readonly OptionSpec[]): Read | null => {
  const arg = argv[i] ?? '';
  const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
  const name = eq > 0 ? arg.slice(0, eq) : arg;
  const spec = table.find((s) => !s.version && (namesOf(s).long === name || namesOf(s).short === name));
  if (!spec) return null;
  const n = namesOf(spec);
  if (!n.valued) return eq > 0 ? null : { spec, value: !n.negate, next: i + 1 };
  const [value, next] = eq > 0 ? [arg.slice(eq + 1), i + 1] : [argv[i + 1], i + 2];
  if (!plain(value)) return null;
  if (spec.choices && !spec.choices.includes(value)) return null;
  try {
    return { spec, value: spec.parse ? spec.parse(value) : value, next };
  } catch {
    return null;
  }
};
