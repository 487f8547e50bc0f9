// Options are declared once (src/cli/options/*.ts) and every parser reads that declaration: commander's commands
// hold exactly the tables' options; every option commander knows for `check rpo|divergence|job` is parsed by the
// fast path exactly as commander parses it, or left to commander; and no other module of the check and sync
// command lines declares an option of its own (read off the sources). Nothing here lists an option by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import type { CliContext } from '../../../src/app/context.js';
import type { SelectionCheckInput } from '../../../src/cli/commands/check-run.js';
import { fastCheck } from '../../../src/cli/fast-check.js';
import { fastSync } from '../../../src/cli/fast-sync.js';
import { AD_HOC, CHECKS, fastView, SELECTION_CHECKS, type CheckName, type SelectionCheck } from '../../../src/cli/options/check.js';
import { OUTPUT_GLOBALS, PATH_GLOBALS, VERSION_OPTION } from '../../../src/cli/options/global.js';
import { defaultsOf, namesOf, type OptionSpec } from '../../../src/cli/options/spec.js';
import { SYNC_OPTIONS } from '../../../src/cli/options/sync.js';
import { buildProgram } from '../../../src/cli/program.js';
import { NO_SYNC_FLAGS } from '../../../src/config/overrides.js';

const calls: { name: SelectionCheck; input: SelectionCheckInput }[] = [];
vi.mock('../../../src/cli/commands/check-run.js', () => ({
  runSelectionCheck: async (name: SelectionCheck, input: SelectionCheckInput) => {
    calls.push({ name, input });
    return { state: 'OK', summary: 'captured' };
  },
}));
beforeEach(() => {
  calls.length = 0;
});

const ctx: CliContext = {
  out: { write: () => undefined },
  env: {},
  now: () => 0,
  signal: new AbortController().signal,
  programName: 'zfailover',
  isTTY: false,
};
const program = (): Command => buildProgram(ctx, () => undefined);
const commandOf = (root: Command, path: readonly string[]): Command =>
  path.reduce((c, name) => {
    const sub = c.commands.find((x) => x.name() === name);
    if (!sub) throw new Error(`no command ${path.join(' ')}`);
    return sub;
  }, root);

/** An option as commander sees it, and the same facts derived from the declaration. */
const fromCommander = (o: Option) => ({
  flags: o.flags,
  description: o.description,
  long: o.long,
  short: o.short,
  key: o.attributeName(),
  negate: o.negate,
  valued: o.required,
});
const fromSpec = (s: OptionSpec) => {
  const n = namesOf(s);
  return { flags: s.flags, description: s.description, long: n.long, short: n.short, key: n.key, negate: n.negate, valued: n.valued };
};

describe("commander's options are the tables' declarations", () => {
  test.each(Object.keys(CHECKS) as CheckName[])('check %s', (name) => {
    const cmd = commandOf(program(), ['check', name]);
    expect(cmd.options.map(fromCommander)).toStrictEqual(CHECKS[name].options.map(fromSpec));
    // The `--no-*` defaults commander sets are the ones the table gives (the fast path starts from those).
    expect(cmd.opts()).toStrictEqual(defaultsOf(CHECKS[name].options));
  });

  test('sync, and its defaults are the plain NO_SYNC_FLAGS the engine reads', () => {
    const cmd = commandOf(program(), ['sync']);
    expect(cmd.options.map(fromCommander)).toStrictEqual(SYNC_OPTIONS.map(fromSpec));
    expect(cmd.opts()).toStrictEqual(defaultsOf(SYNC_OPTIONS));
    expect(defaultsOf(SYNC_OPTIONS)).toStrictEqual(NO_SYNC_FLAGS);
  });

  test('the program', () => {
    expect(program().options.map(fromCommander)).toStrictEqual([VERSION_OPTION, ...PATH_GLOBALS, ...OUTPUT_GLOBALS].map(fromSpec));
  });

  test('a declaration whose flags are not understood fails loudly', () => {
    expect(() => namesOf({ flags: '--x [optional]', description: '' })).toThrow(/not understood/);
    expect(() => namesOf({ flags: '-x', description: '' })).toThrow(/not understood/);
  });
});

/** Plain data of what the check receives (with commander's key order). */
const shape = (name: SelectionCheck, c: Pick<SelectionCheckInput, 'source' | 'targets' | 'opts' | 'globals'>) => ({
  name,
  source: c.source,
  targets: c.targets,
  opts: { ...c.opts },
  keys: Object.keys(c.opts),
  globals: c.globals,
});
const viaCommander = async (argv: readonly string[]) => {
  try {
    await program().parseAsync([...argv], { from: 'user' });
  } catch (e) {
    return { error: (e as Error).message };
  }
  const c = calls.pop();
  return c ? shape(c.name, c.input) : { error: 'commander ran no selection check' };
};
const viaFast = (argv: readonly string[]) => {
  const f = fastCheck(argv);
  return f && shape(f.name, { source: undefined, targets: [], opts: f.opts, globals: f.globals });
};

/** Every way of writing one option on a command line: short and long, value apart and `--long=value`. */
const forms = (o: Option, example: string): string[][] => {
  const names = [o.long, o.short].filter((n): n is string => n !== undefined);
  if (!o.required) return names.map((n) => [n]);
  return [...names.map((n) => [n, example]), [`${o.long}=${example}`]];
};

describe('every option commander knows for check <name>: the fast path parses it as commander does, or leaves it', () => {
  test.each(SELECTION_CHECKS)('check %s', async (name) => {
    const cmd = commandOf(program(), ['check', name]);
    const view = fastView(name);
    let taken = 0;
    let left = 0;
    for (const option of cmd.options) {
      // The declaration commander's option came from (same flags), for a value it takes.
      const spec = CHECKS[name].options.find((s) => s.flags === option.flags);
      expect(spec, option.flags).toBeDefined();
      if (option.required) expect(spec?.example, `${option.flags}: a declared example value`).toBeDefined();
      const key = option.attributeName();
      const selection = key === 'job' || key === 'all' ? [] : ['--job', 'data'];
      for (const form of forms(option, spec?.example ?? '')) {
        const argv = ['check', name, ...selection, ...form];
        const inView = view.includes(spec as OptionSpec);
        const isPath = PATH_GLOBALS.includes(spec as OptionSpec);
        if (inView || isPath) {
          const fast = viaFast(argv);
          expect(fast, argv.join(' ')).not.toBeNull();
          expect(fast, argv.join(' ')).toStrictEqual(await viaCommander(argv));
          taken++;
        } else {
          // Left: the ad-hoc options (they go with SOURCE TARGET) and --version.
          expect(AD_HOC.includes(spec as OptionSpec) || spec?.version, argv.join(' ')).toBeTruthy();
          expect(fastCheck(argv), argv.join(' ')).toBeNull();
          left++;
        }
      }
      // A value its declared parser refuses: left to commander, which refuses it as a usage error.
      if (spec?.parse) {
        const argv = ['check', name, ...selection, option.long as string, 'soon?'];
        expect(fastCheck(argv), argv.join(' ')).toBeNull();
        expect(await viaCommander(argv)).toMatchObject({ error: expect.stringMatching(/argument 'soon\?' is invalid/) });
      }
    }
    expect(taken).toBeGreaterThan(10);
    expect(left).toBeGreaterThan(5);
  });

  test("all of a check's fast options on one line, in the table's order and reversed", async () => {
    for (const name of SELECTION_CHECKS) {
      const line = fastView(name).flatMap((s) => (namesOf(s).valued ? [namesOf(s).long, s.example as string] : [namesOf(s).long]));
      const reversed = fastView(name)
        .toReversed()
        .flatMap((s) => (namesOf(s).valued ? [`${namesOf(s).long}=${s.example}`] : [namesOf(s).long]));
      for (const argv of [
        ['check', name, ...line],
        ['--config', 'c.yml', 'check', name, ...reversed, '--state-dir', 'st'],
      ]) {
        const fast = viaFast(argv);
        expect(fast, argv.join(' ')).not.toBeNull();
        expect(fast).toStrictEqual(await viaCommander(argv));
      }
    }
  });

  test("Monit's sync line takes the sync table's --job and its defaults", () => {
    expect(fastSync(['sync', '--job', 'data'])?.opts).toStrictEqual({ ...defaultsOf(SYNC_OPTIONS), job: 'data' });
  });
});

// Source scan: the modules that build or read the check and sync command lines declare no option of their own.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(`${ROOT}${dir}`, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f}`);
/** Code without comments (line and block), so a comment may name an option. */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
/** Commander declarations: `.option(...)`, `.requiredOption(...)`, `new Option(...)`, `.version(text, flags)`. */
const declarations = (text: string): string[] => [...code(text).matchAll(/\.(?:option|requiredOption)\(|new Option\(|\.version\([^)]*,/g)].map((m) => m[0]);
/** String literals that name an option (`-w`, `--job`, `--warning <range>`): a hand-kept list of options. */
const optionLiterals = (text: string): string[] => [...code(text).matchAll(/(['"`])(-{1,2}[A-Za-z][\w-]*(?:[ =,][^'"`\n]*)?)\1/g)].map((m) => m[2] as string);

// Commands whose options are still declared in their own files (not check or sync; tables to come).
const NOT_YET_TABLES = ['snapshot', 'prune', 'promote', 'demote', 'status'].map((c) => `src/cli/commands/${c}.ts`);
// The modules that build, parse or filter the check and sync command lines.
const COMMAND_LINE = [...sources('src/cli').filter((f) => !f.startsWith('src/cli/options/') && !f.startsWith('src/cli/man/') && !NOT_YET_TABLES.includes(f))];

describe('declared in one place: read off the sources', () => {
  test('the scanners see a planted declaration and a planted hand-kept option name', () => {
    const planted = "cmd.option('--warp <n>', 'x'); // .option('--in-comment')\nconst A = ['-w', '--critical'];\nnew Option(\"--q\");";
    expect(declarations(planted)).toStrictEqual(['.option(', 'new Option(']);
    expect(optionLiterals(planted)).toStrictEqual(['--warp <n>', '-w', '--critical', '--q']);
    expect(optionLiterals("if (arg === '--') x('-'); a.startsWith('--');")).toStrictEqual([]);
  });

  test('no commander declaration outside src/cli/options/ but in the commands not yet made tables', () => {
    const found = sources('src')
      .filter((f) => !f.startsWith('src/cli/options/') && !NOT_YET_TABLES.includes(f))
      .flatMap((f) => declarations(readFileSync(`${ROOT}${f}`, 'utf8')).map((d) => `${f}: ${d}`));
    expect(found).toStrictEqual([]);
    // The exemption is not vacuous, and it shrinks: drop a file from it once its command is a table.
    for (const f of NOT_YET_TABLES) expect(declarations(readFileSync(`${ROOT}${f}`, 'utf8')).length, f).toBeGreaterThan(0);
  });

  test('no option name written by hand in the modules of the check and sync command lines', () => {
    expect(COMMAND_LINE).toEqual(
      expect.arrayContaining(['src/cli/fast-check.ts', 'src/cli/fast-sync.ts', 'src/cli/restricted.ts', 'src/cli/main.ts', 'src/cli/commands/check.ts']),
    );
    const found = COMMAND_LINE.flatMap((f) => optionLiterals(readFileSync(`${ROOT}${f}`, 'utf8')).map((l) => `${f}: '${l}'`));
    expect(found).toStrictEqual([]);
  });
});
