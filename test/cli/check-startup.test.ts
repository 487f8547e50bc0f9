// Start-up of the check plugins, built bins: the usual plugin line with an unchanged config loads neither the
// YAML parser, the config schemas, zod nor commander, and answers exactly as commander's path does; the job
// state file is validated without its zod schema, and a damaged one is refused in zod's words as before.
import { nagiosSafe } from '../../src/cli/output.js';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { jobStateSchema } from '../../src/state/job-state-schema.js';
import { cliBuilt, ROOT } from '../helpers/cli.js';
import { chunksHolding, moduleTracer } from '../helpers/module-trace.js';

const reason = cliBuilt();
const dir = mkdtempSync(join(tmpdir(), 'zfo-check-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason)(`start-up of the check plugins (built bins)${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const stateDir = join(dir, 'state');
  const cfg = join(dir, 'zfailover.yml');
  const trace = moduleTracer(dir);
  const run = (plugin: string, ...args: string[]) => trace(join(ROOT, 'bin', plugin), ...args);

  test('rpo with an unchanged config: no yaml, config schemas, zod or commander; the same answer as commander gives', async () => {
    mkdirSync(join(stateDir, 'jobs'), { recursive: true });
    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n`);
    chmodSync(cfg, 0o600);
    const noJob = `UNKNOWN: config error: ${cfg}: no job nope: known jobs: data`; // quotes kept out of the first line (Nagios)

    const first = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w', '1m');
    expect([first.code, first.out]).toEqual([3, noJob]);
    // The trace works: the first run parsed the file.
    expect(chunksHolding(first.loaded, 'node_modules/yaml/')).not.toEqual([]);
    expect(chunksHolding(first.loaded, 'src/config/schema/')).not.toEqual([]);

    const second = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w', '1m');
    expect([second.code, second.out]).toEqual([3, noJob]);
    expect(second.loaded.length).toBeGreaterThan(3);
    for (const m of ['node_modules/yaml/', 'src/config/schema/', 'node_modules/zod/', 'node_modules/commander/'])
      expect([m, chunksHolding(second.loaded, m)]).toEqual([m, []]);

    // A glued short option (`-w1m`) is commander's: loaded, and the same answer.
    const glued = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w1m');
    expect([glued.code, glued.out]).toEqual([3, noJob]);
    expect(chunksHolding(glued.loaded, 'node_modules/commander/')).not.toEqual([]);
  });

  test('job --no-zfs: the state file read without zod; a damaged one refused in zod words', async () => {
    const file = join(stateDir, 'jobs', 'data.json');
    const state = {
      version: 1,
      job: 'data',
      updatedAt: 1_790_000_001_000,
      lastRun: { startedAt: 1_790_000_000_000, finishedAt: 1_790_000_001_000, state: 'OK', summary: 'replicated' },
      lastSuccess: { at: 1_790_000_001_000, startedAt: 1_790_000_000_000, durationMs: 1000, bytes: 5, snapshots: 1 },
      lastError: null,
      consecutiveFailures: 0,
      targets: {},
    };
    writeFileSync(file, JSON.stringify(state));
    const fast = await run('check_zfs_job', '--job', 'data', '--config', cfg, '--no-zfs', '-t', '10');
    expect(fast.out).toMatch(/^(OK|WARNING|CRITICAL): /);
    expect(chunksHolding(fast.loaded, 'src/state/job-state-schema.ts')).toEqual([]);
    expect(chunksHolding(fast.loaded, 'node_modules/commander/')).toEqual([]);
    // Commander's path (`-t10` is left to it) reads the same file to the same answer.
    const slow = await run('check_zfs_job', '--job', 'data', '--config', cfg, '--no-zfs', '-t10');
    expect(chunksHolding(slow.loaded, 'node_modules/commander/')).not.toEqual([]);
    expect([slow.code, slow.out]).toEqual([fast.code, fast.out]);

    const damaged = { ...state, lastSuccess: { ...state.lastSuccess, bytes: -1 } };
    writeFileSync(file, JSON.stringify(damaged));
    const issue = jobStateSchema.safeParse(damaged).error?.issues[0];
    const bad = await run('check_zfs_job', '--job', 'data', '--config', cfg, '--no-zfs');
    expect(bad.out).toContain(nagiosSafe(`state file ${file} is unusable: ${issue?.path.join('.')}: ${issue?.message}`));
    expect(chunksHolding(bad.loaded, 'src/state/job-state-schema.ts')).not.toEqual([]);
  });
});
