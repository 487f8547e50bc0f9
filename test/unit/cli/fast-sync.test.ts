// The Monit line's parser without commander: for every command line it takes, runSyncCommand gets exactly
// what commander would give it; every other command line is left to commander.
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { fastSync } from '../../../src/cli/fast-sync.js';
import { main } from '../../../src/cli/main.js';
import { buildProgram } from '../../../src/cli/program.js';
import type { CliContext } from '../../../src/app/context.js';
import type { SyncCommandInput } from '../../../src/app/sync.js';

const calls: SyncCommandInput[] = [];
vi.mock('../../../src/app/sync.js', () => ({
  runSyncCommand: async (input: SyncCommandInput) => {
    calls.push(input);
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

/** What the sync action receives when commander parses argv (globals and options as plain data). */
const viaCommander = async (argv: string[]) => {
  const program = buildProgram(ctx, () => undefined);
  await program.parseAsync(argv, { from: 'user' });
  const input = calls.pop();
  if (!input) throw new Error('commander did not run sync');
  return { source: input.source, targets: input.targets, opts: { ...input.opts }, globals: input.globals };
};

describe('taken: the same input as commander gives', () => {
  test.each([
    [['sync', '--job', 'data']],
    [['--config', '/etc/zfailover/zfailover.yml', 'sync', '--job', 'data']],
    [['--config=/etc/z.yml', '--state-dir', '/tmp/s', 'sync', '--job=data']],
    [['--state-dir', 'rel/dir', '--config', 'c.yml', 'sync', '--job', 'a.b-1']],
    [['--config', 'sync', 'sync', '--job', 'x']],
  ])('%j', async (argv) => {
    const fast = fastSync(argv);
    expect(fast).not.toBeNull();
    const expected = await viaCommander(argv);
    expect({ source: undefined, targets: [], opts: fast?.opts, globals: fast?.globals }).toStrictEqual(expected);
    // And main takes that path with that input.
    const out: string[] = [];
    expect(await main(argv, { out: { write: (s) => void out.push(s) } })).toBe(0);
    expect(out.join('')).toBe('OK: captured\n');
    expect(calls).toHaveLength(1);
    expect({ ...calls[0], opts: { ...calls[0]?.opts } }).toMatchObject(expected);
  });
});

describe('left to commander', () => {
  test.each([
    [['sync', '--job', 'data', '--dry-run']],
    [['--json', 'sync', '--job', 'data']],
    [['-v', 'sync', '--job', 'data']],
    [['sync']],
    [['sync', '--job']],
    [['sync', '--job', '-x']],
    [['sync', '--job', 'a', 'extra']],
    [['sync', '--all']],
    [['sync', 'vol1/a', 'vol2/a']],
    [['--config', 'a.yml', '--config', 'b.yml', 'sync', '--job', 'x']],
    [['--config=', 'sync', '--job', 'x']],
    [['--log-file', '/tmp/l', 'sync', '--job', 'x']],
    [['check', 'rpo']],
    [['--version']],
    [[]],
  ])('%j', (argv) => expect(fastSync(argv)).toBeNull());

  test('usage errors still come from commander, as one UNKNOWN line', async () => {
    const out: string[] = [];
    expect(await main(['sync', '--job'], { out: { write: (s) => void out.push(s) } })).toBe(3);
    // The first line is Nagios-safe (no quotes or angle brackets): a placeholder reads NAME.
    expect(out.join('')).toBe('UNKNOWN: usage: option --job NAME argument missing (see --help)\n');
  });
});
