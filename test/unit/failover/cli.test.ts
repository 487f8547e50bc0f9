// promote/demote/status as an operator types them, in process (no zfs is reached): every mistake is one
// UNKNOWN line with exit 3 before anything is read or changed, and --help documents the modes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

const run = async (...argv: string[]): Promise<{ code: number; out: string }> => {
  let out = '';
  const code = await main(['--state-dir', join(tmpdir(), 'zfo-failover-cli-never-created'), ...argv], { out: { write: (s) => void (out += s) }, env: {} });
  return { code, out };
};

describe('promote/demote/status arguments', () => {
  it('refuses unsafe or meaningless combinations with one usage line', async () => {
    const cases: [string[], RegExp][] = [
      [['promote'], /^UNKNOWN: promote needs --job NAME, or two sides: PRIMARY REPLICA$/],
      [['promote', 'tank/a'], /^UNKNOWN: promote needs --job NAME, or two sides/],
      [['promote', '--takeover', 'tank/a', 'tank/b'], /^UNKNOWN: --takeover promotes without the primary and may leave its last writes behind: add --force/],
      [['promote', '--force', 'tank/a', 'tank/b'], /^UNKNOWN: --force only applies to --takeover$/],
      [['promote', '--accept-tree', 'tank/a', 'tank/b'], /^UNKNOWN: --accept-tree only applies to --takeover/],
      [['promote', '--max-lag', 'soon', 'tank/a', 'tank/b'], /^UNKNOWN: usage: option --max-lag DURATION argument soon is invalid/],
      [['promote', '--target', 't1', 'tank/a', 'tank/b'], /^UNKNOWN: --target only applies with --job$/],
      [['promote', '--skip-hook', 'x', 'tank/a', 'tank/b'], /^UNKNOWN: --skip-hook x: no such hook in this job$/],
      [['promote', 'tank/a', 'tank/a'], /^UNKNOWN: TARGET 1: /],
      [['promote', 'tank/a', 'bad//name'], /^UNKNOWN: invalid target bad\/\/name/],
      [['demote'], /^UNKNOWN: demote needs --job NAME, or two sides: PRIMARY SIDE-TO-DEMOTE$/],
      [['status', 'tank/a'], /^UNKNOWN: status needs SOURCE and at least one TARGET/],
    ];
    for (const [argv, line] of cases) {
      const r = await run(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.out}`).toBe(3);
      expect(r.out.split('\n')[0], argv.join(' ')).toMatch(line);
    }
  });

  it('a config job that does not exist, or a target it does not have, is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zfo-failover-cli-'));
    const config = join(dir, 'zfailover.yml');
    writeFileSync(config, 'jobs:\n  data:\n    source: root@server1:vol1/data\n    targets: [vol2/data, {name: far, dataset: root@dr:vol3/data}]\n');
    let r = await run('--config', config, 'promote', '--job', 'nope');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^UNKNOWN: config error: .*no job nope: known jobs: data/);
    r = await run('--config', config, 'promote', '--job', 'data', '--target', 'x');
    expect(r.out).toMatch(/^UNKNOWN: job data has no target x \(targets: t1, far\)/);
    r = await run('--config', config, 'demote', '--job', 'data', 'tank/a', 'tank/b');
    expect(r.out).toMatch(/^UNKNOWN: give either --job NAME or the two sides, not both/);
  });

  it('--help describes both modes and exits 3 like every plugin', async () => {
    const r = await run('promote', '--help');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/--takeover/);
    expect(r.out).toMatch(/--force +required with --takeover/);
    expect(r.out).toMatch(/--dry-run/);
  });
});
