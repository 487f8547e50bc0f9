// Start-up of the 15-second Monit line, built bin: with an unchanged config, `sync --job NAME` loads neither
// the YAML parser, the config schemas nor commander (the cache and the fast path), and says the same thing.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { BIN, cliBuilt } from '../helpers/cli.js';

const reason = cliBuilt();
const dir = mkdtempSync(join(tmpdir(), 'zfo-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A module hook that records every file the process loads (node >= 20.6 runs it on a loader thread).
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.ZFO_TRACE, url + '\\n');
  return next(url, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`file://${dir}/hooks.mjs`)});`;

// esbuild keeps a `// <source path>` comment before each bundled module: how a chunk says what it holds.
const holds = (files: string[], marker: string): string[] => files.filter((f) => readFileSync(f, 'utf8').includes(`\n// ${marker}`));

describe.skipIf(reason)(`start-up of sync --job (built bin)${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const stateDir = join(dir, 'state');
  const cfg = join(dir, 'zfailover.yml');
  let runs = 0;
  const run = async (...args: string[]) => {
    const trace = join(dir, `trace-${++runs}.txt`);
    writeFileSync(trace, '');
    const r = await execa('node', ['--import', join(dir, 'register.mjs'), BIN, ...args], { reject: false, env: { PATH: process.env.PATH ?? '', ZFO_TRACE: trace } });
    const loaded = [...new Set(readFileSync(trace, 'utf8').split('\n').filter((u) => u.includes('/dist/bundle/')))].map((u) => new URL(u).pathname);
    return { code: r.exitCode, out: r.stdout, loaded };
  };

  test('an unchanged config: no yaml, no config schemas, no commander; an edited one: parsed, errors as ever', async () => {
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), REGISTER);
    mkdirSync(stateDir);
    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n`);
    chmodSync(cfg, 0o600);
    const noJob = `UNKNOWN: config error: ${cfg}: no job 'nope': known jobs: data`;

    const first = await run('--config', cfg, 'sync', '--job', 'nope');
    expect([first.code, first.out]).toEqual([3, noJob]);
    // The trace works: the first run parsed the file.
    expect(holds(first.loaded, 'node_modules/yaml/')).not.toEqual([]);
    expect(holds(first.loaded, 'src/config/schema/')).not.toEqual([]);

    const second = await run('--config', cfg, 'sync', '--job', 'nope');
    expect([second.code, second.out]).toEqual([3, noJob]);
    expect(second.loaded.length).toBeGreaterThan(3);
    expect(holds(second.loaded, 'node_modules/yaml/')).toEqual([]);
    expect(holds(second.loaded, 'src/config/schema/')).toEqual([]);
    expect(holds(second.loaded, 'node_modules/commander/')).toEqual([]);

    // Any other command line still goes through commander.
    const dry = await run('--config', cfg, 'sync', '--job', 'nope', '--dry-run');
    expect([dry.code, dry.out]).toEqual([3, noJob]);
    expect(holds(dry.loaded, 'node_modules/commander/')).not.toEqual([]);

    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n    largeBlocks: true\n`);
    const edited = await run('--config', cfg, 'sync', '--job', 'data');
    expect(edited.code).toBe(3);
    expect(edited.out).toBe(
      `UNKNOWN: config error: ${cfg}:6: jobs.data.largeBlocks: unknown key (allowed: source, targets, recursive, exclude, sync_snapshot, deadline, initial, resume, bookmarks, holds, rollback_target, send, transport, failover)`,
    );
  });
});
