// Start-up of the check plugins, built bins: the usual plugin line with an unchanged config loads neither the
// YAML parser, the config schemas, zod nor commander, and answers exactly as commander's path does; the job
// state file is validated without its zod schema, and a damaged one is refused in zod's words as before.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { jobStateSchema } from '../../src/state/job-state-schema.js';
import { cliBuilt, ROOT } from '../helpers/cli.js';

const reason = cliBuilt();
const dir = mkdtempSync(join(tmpdir(), 'zfo-check-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A module hook that records every file the process loads (node >= 20.6 runs it on a loader thread).
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.ZFO_TRACE, url + '\\n');
  return next(url, context);
}`;

// esbuild keeps a `// <source path>` comment before each bundled module: how a chunk says what it holds.
const holds = (files: string[], marker: string): boolean => files.some((f) => readFileSync(f, 'utf8').includes(`\n// ${marker}`));

describe.skipIf(reason)(`start-up of the check plugins (built bins)${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const stateDir = join(dir, 'state');
  const cfg = join(dir, 'zfailover.yml');
  let runs = 0;
  const run = async (plugin: string, ...args: string[]) => {
    const trace = join(dir, `trace-${++runs}.txt`);
    writeFileSync(trace, '');
    const r = await execa('node', ['--import', join(dir, 'register.mjs'), join(ROOT, 'bin', plugin), ...args], { reject: false, env: { PATH: process.env.PATH ?? '', ZFO_TRACE: trace } });
    const loaded = [...new Set(readFileSync(trace, 'utf8').split('\n').filter((u) => u.includes('/dist/bundle/')))].map((u) => new URL(u).pathname);
    return { code: r.exitCode, out: r.stdout, loaded };
  };

  test('rpo with an unchanged config: no yaml, config schemas, zod or commander; the same answer as commander gives', async () => {
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(`file://${dir}/hooks.mjs`)});`);
    mkdirSync(join(stateDir, 'jobs'), { recursive: true });
    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n`);
    chmodSync(cfg, 0o600);
    const noJob = `UNKNOWN: config error: ${cfg}: no job 'nope': known jobs: data`;

    const first = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w', '1m');
    expect([first.code, first.out]).toEqual([3, noJob]);
    // The trace works: the first run parsed the file.
    expect(holds(first.loaded, 'node_modules/yaml/')).toBe(true);
    expect(holds(first.loaded, 'src/config/schema/')).toBe(true);

    const second = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w', '1m');
    expect([second.code, second.out]).toEqual([3, noJob]);
    expect(second.loaded.length).toBeGreaterThan(3);
    for (const m of ['node_modules/yaml/', 'src/config/schema/', 'node_modules/zod/', 'node_modules/commander/']) expect([m, holds(second.loaded, m)]).toEqual([m, false]);

    // A glued short option (`-w1m`) is commander's: loaded, and the same answer.
    const glued = await run('check_zfs_rpo', '--job', 'nope', '--config', cfg, '-w1m');
    expect([glued.code, glued.out]).toEqual([3, noJob]);
    expect(holds(glued.loaded, 'node_modules/commander/')).toBe(true);
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
    expect(holds(fast.loaded, 'src/state/job-state-schema.ts')).toBe(false);
    expect(holds(fast.loaded, 'node_modules/commander/')).toBe(false);
    // Commander's path (`-t10` is left to it) reads the same file to the same answer.
    const slow = await run('check_zfs_job', '--job', 'data', '--config', cfg, '--no-zfs', '-t10');
    expect(holds(slow.loaded, 'node_modules/commander/')).toBe(true);
    expect([slow.code, slow.out]).toEqual([fast.code, fast.out]);

    const damaged = { ...state, lastSuccess: { ...state.lastSuccess, bytes: -1 } };
    writeFileSync(file, JSON.stringify(damaged));
    const issue = jobStateSchema.safeParse(damaged).error?.issues[0];
    const bad = await run('check_zfs_job', '--job', 'data', '--config', cfg, '--no-zfs');
    expect(bad.out).toContain(`state file ${file} is unusable: ${issue?.path.join('.')}: ${issue?.message}`);
    expect(holds(bad.loaded, 'src/state/job-state-schema.ts')).toBe(true);
  });
});
