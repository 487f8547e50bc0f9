// Start-up of the 15-second Monit line, built bin: with an unchanged config, `sync --job NAME` loads neither
// the YAML parser, the config schemas nor commander (the cache and the fast path), and says the same thing.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BIN, cliBuilt } from '../helpers/cli.js';
import { chunksHolding, moduleTracer } from '../helpers/module-trace.js';

const reason = cliBuilt();
const dir = mkdtempSync(join(tmpdir(), 'zfo-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason)(`start-up of sync --job (built bin)${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const stateDir = join(dir, 'state');
  const cfg = join(dir, 'zfailover.yml');
  const trace = moduleTracer(dir);
  const run = (...args: string[]) => trace(BIN, ...args);

  test('an unchanged config: no yaml, no config schemas, no commander; an edited one: parsed, errors as ever', async () => {
    mkdirSync(stateDir);
    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n`);
    chmodSync(cfg, 0o600);
    const noJob = `UNKNOWN: config error: ${cfg}: no job nope: known jobs: data`; // quotes kept out of the first line (Nagios)

    const first = await run('--config', cfg, 'sync', '--job', 'nope');
    expect([first.code, first.out]).toEqual([3, noJob]);
    // The trace works: the first run parsed the file.
    expect(chunksHolding(first.loaded, 'node_modules/yaml/')).not.toEqual([]);
    expect(chunksHolding(first.loaded, 'src/config/schema/')).not.toEqual([]);

    const second = await run('--config', cfg, 'sync', '--job', 'nope');
    expect([second.code, second.out]).toEqual([3, noJob]);
    expect(second.loaded.length).toBeGreaterThan(3);
    expect(chunksHolding(second.loaded, 'node_modules/yaml/')).toEqual([]);
    expect(chunksHolding(second.loaded, 'src/config/schema/')).toEqual([]);
    expect(chunksHolding(second.loaded, 'node_modules/commander/')).toEqual([]);

    // Any other command line still goes through commander.
    const dry = await run('--config', cfg, 'sync', '--job', 'nope', '--dry-run');
    expect([dry.code, dry.out]).toEqual([3, noJob]);
    expect(chunksHolding(dry.loaded, 'node_modules/commander/')).not.toEqual([]);

    writeFileSync(cfg, `state_dir: ${stateDir}\njobs:\n  data:\n    source: vol1/data\n    targets: [vol2/data]\n    largeBlocks: true\n`);
    const edited = await run('--config', cfg, 'sync', '--job', 'data');
    expect(edited.code).toBe(3);
    expect(edited.out).toBe(
      `UNKNOWN: config error: ${cfg}:6: jobs.data.largeBlocks: unknown key (allowed: source, targets, recursive, exclude, sync_snapshot, deadline, concurrency, initial, resume, bookmarks, holds, rollback_target, send, transport, failover)`,
    );
  });
});
