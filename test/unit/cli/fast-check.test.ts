// The plugins' parser without commander: for every command line it takes, the check gets exactly what
// commander would give it (same options, same values, same key order, same globals); every other line is left
// to commander, which then answers as before. Listed lines plus generated ones from a vocabulary of
// options, good and bad values, positionals and odd forms.
import { fc, test as propTest } from '@fast-check/vitest';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { fastCheck } from '../../../src/cli/fast-check.js';
import { main } from '../../../src/cli/main.js';
import { buildProgram } from '../../../src/cli/program.js';
import type { CliContext } from '../../../src/app/context.js';
import type { SelectionCheck, SelectionCheckInput } from '../../../src/cli/commands/check-run.js';

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

const ctxFor = (programName: string): CliContext => ({
  out: { write: () => undefined },
  env: {},
  now: () => 0,
  signal: new AbortController().signal,
  programName,
  isTTY: false,
});

/** Plain data of what the check receives, with the option keys' order (commander's own order). */
const shape = (name: SelectionCheck, c: Pick<SelectionCheckInput, 'source' | 'targets' | 'opts' | 'globals'>) => ({
  name,
  source: c.source,
  targets: c.targets,
  opts: { ...c.opts },
  keys: Object.keys(c.opts),
  globals: c.globals,
});

/** What commander gives the check for argv, or the usage error it raises. */
const viaCommander = async (argv: readonly string[], programName = 'zfailover') => {
  const program = buildProgram(ctxFor(programName), () => undefined);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    return { error: (e as Error).message };
  }
  const c = calls.pop();
  if (!c) return { error: 'commander ran no selection check' };
  return shape(c.name, c.input);
};
const viaFast = (argv: readonly string[]) => {
  const f = fastCheck(argv);
  return f && shape(f.name, { source: undefined, targets: [], opts: f.opts, globals: f.globals });
};

const TAKEN: string[][] = [
  ['check', 'rpo', '--job', 'data'],
  ['check', 'rpo', '--job', 'bench', '--config', '/etc/z.yml', '--state-dir', '/var/lib/s', '--no-estimate'],
  ['check', 'rpo', '--job=a', '--job', 'b', '-w', '90s', '-c', '~:2h', '-t', '20s', '--max-lines', '5'],
  ['check', 'rpo', '--warning=@1h:2h', '--critical', '10m:', '--timeout=30', '--all'],
  ['check', 'divergence', '--job', 'data', '-w', '5', '-c', '10:20', '--config', 'rel.yml'],
  ['check', 'divergence', '--all', '--max-lines=0', '--state-dir=st'],
  ['check', 'job', '--job', 'data', '--no-zfs', '--failures-warning', '2', '--failures-critical', '5', '--max-runtime', '30m', '--prune-horizon', '2h'],
  ['check', 'job', '--all', '-w', '2m', '-c', '10m'],
  ['--config', 'c.yml', 'check', 'rpo', '--job', 'data'],
  ['--state-dir', 's', '--config=c.yml', 'check', 'job', '--job', 'check'],
  ['--config', 'check', 'check', 'divergence', '--job', 'rpo'],
];

describe('taken: the same input as commander gives', () => {
  test.each(TAKEN)('%j', async (...argv) => {
    const fast = viaFast(argv);
    expect(fast).not.toBeNull();
    expect(fast).toStrictEqual(await viaCommander(argv));
    // And main takes that path with that input, under either program name.
    for (const programName of ['zfailover', `check_zfs_${fast?.name}`]) {
      const out: string[] = [];
      expect(await main(argv, { programName, out: { write: (s) => void out.push(s) } })).toBe(0);
      expect(out.join('')).toBe('OK: captured\n');
      expect(calls).toHaveLength(1);
      expect(shape(calls[0]!.name, calls[0]!.input)).toStrictEqual(fast);
      calls.length = 0;
    }
  });
});

describe('left to commander', () => {
  test.each([
    ['check', 'rpo', 'vol1/a', 'vol2/a'],
    ['check', 'rpo', '--job', 'data', '--json'],
    ['--json', 'check', 'rpo', '--job', 'data'],
    ['check', 'rpo', '--job', 'data', '-v'],
    ['check', 'rpo', '--job'],
    ['check', 'rpo', '--job', '-x'],
    ['check', 'rpo', '--job', ''],
    ['check', 'rpo', '--job', 'a', '-w', 'soon'],
    ['check', 'rpo', '--job', 'a', '-w', '1', '-w', '2'],
    ['check', 'rpo', '--job', 'a', '-w=1'],
    ['check', 'rpo', '--job', 'a', '-w1'],
    ['check', 'rpo', '--job', 'a', '-t', '0'],
    ['check', 'rpo', '--job', 'a', '--no-zfs'],
    ['check', 'divergence', '--job', 'a', '--no-estimate'],
    ['check', 'job', '--job', 'a', '--failures-warning', '0'],
    ['check', 'rpo', '--job', 'a', '--config', 'x', '--config', 'y'],
    ['check', 'rpo', '--job', 'a', '--', 'x'],
    ['check', 'rpo', '--all=yes'],
    ['check', 'rpo', '--job', 'a', '-r'],
    ['check', 'rpo', '--job', 'a', '--ssh-port', '22'],
    ['check', 'rpo', '--help'],
    ['check', 'rpo', '-V'],
    ['check', 'health'],
    ['check', 'gaps', '--job', 'a'],
    ['check'],
    ['sync', '--job', 'a'],
    [],
  ])('%j', (...argv) => expect(fastCheck(argv)).toBeNull());

  test('usage errors still come from commander, as one UNKNOWN line', async () => {
    const out: string[] = [];
    expect(await main(['check', 'rpo', '--job', 'a', '-w', 'soon'], { programName: 'check_zfs_rpo', out: { write: (s) => void out.push(s) } })).toBe(3);
    expect(out.join('')).toMatch(/^UNKNOWN: usage: option -w, --warning RANGE argument soon is invalid\. invalid range soon/);
  });
});

// Generated lines: tokens that are options of these checks (and others), good and bad values, odd forms.
const TOKENS = [
  '--job',
  '--job=a',
  '--all',
  '--all=1',
  '--config',
  '--config=c.yml',
  '--state-dir',
  '--state-dir=s',
  '--no-estimate',
  '--no-zfs',
  '-w',
  '--warning',
  '--warning=5',
  '-c',
  '--critical=~:3',
  '-t',
  '--timeout',
  '--timeout=0',
  '--max-lines',
  '--max-lines=3',
  '--failures-warning',
  '--failures-critical=2',
  '--max-runtime',
  '--prune-horizon=1h',
  '-r',
  '--json',
  '-v',
  '--',
  '-V',
  'data',
  'check',
  'rpo',
  '5',
  '0',
  '1',
  '30s',
  '2m',
  '~:10',
  '@1:2',
  '10:',
  'soon',
  '-1',
  '',
  '1.5',
  '1e3',
];
const lines = fc.tuple(
  fc.constantFrom<SelectionCheck>('rpo', 'divergence', 'job'),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }),
  fc.array(fc.constantFrom('--config', 'c.yml', '--state-dir=s', '-v'), { maxLength: 2 }),
);

describe('generated lines', () => {
  test('taken only as commander parses them', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(lines, async ([name, rest, before]) => {
        const argv = [...before, 'check', name, ...rest];
        const fast = viaFast(argv);
        if (fast === null) return;
        taken++;
        expect(fast).toStrictEqual(await viaCommander(argv));
      }),
      { numRuns: 1500 },
    );
    // The property is not vacuous: a fair share of lines is taken.
    expect(taken).toBeGreaterThan(50);
  });
});

propTest.prop([fc.array(fc.string({ maxLength: 6 }), { maxLength: 6 })])('random words: never taken without check <name>', (argv) => {
  if (fastCheck(argv) !== null) expect(argv).toContain('check');
});
