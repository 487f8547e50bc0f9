// Oversized, blocking and degenerate inputs: each gets one clear line and exit 3 at once, never a hang, a
// silent default or a timer that fires after 1 ms.
import { execa } from 'execa';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, timerMs } from '../../src/core/duration.js';
import { cliBuilt, ROOT, runCli } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

describe('timerMs', () => {
  it('caps delays at what Node timers hold (24.8 days)', () => {
    expect(timerMs(30 * 86400_000)).toBe(MAX_TIMER_MS);
    expect(timerMs(1500)).toBe(1500);
    expect(timerMs(-5)).toBe(0);
  });
});

const skip = cliBuilt();
describe.skipIf(skip !== null)(`degenerate inputs ${skip ? `(skipped: ${skip})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('inputs-')}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = `${dir}/c.yml`;
  writeFileSync(
    cfg,
    ['version: 1', `state_dir: ${dir}/state`, 'jobs:', '  j:', '    source: zfo-inputs-nopool/a', '    targets: [zfo-inputs-nopool/b]', ''].join('\n'),
    { mode: 0o600 },
  );

  it('a FIFO or a device as --config is refused at once (nothing blocks, nothing is read)', async () => {
    const fifo = `${dir}/fifo`;
    await execa('mkfifo', [fifo]);
    for (const path of [fifo, '/dev/urandom', '/dev/zero']) {
      const r = await runCli(['--config', path, 'check', 'rpo', '--all'], { timeoutMs: 20_000 });
      expect(r.code, `${path}: ${r.stdout}`).toBe(3);
      expect(r.line).toBe(`UNKNOWN: config error: ${path}: cannot read: not a regular file`);
    }
  });

  it("--state-dir '' is a usage error, not the default", async () => {
    const r = await runCli(['--config', cfg, '--state-dir', '', 'sync', '--job', 'j']);
    expect(r.code).toBe(3);
    expect(r.line).toBe('UNKNOWN: --state-dir: empty path (leave the option out for the default)');
  });

  it('--bwlimit 0 is refused as the config refuses it; mbuffer_size 1E is refused', async () => {
    const r = await runCli(['--config', cfg, 'sync', '--job', 'j', '--bwlimit', '0']);
    expect(r.code).toBe(3);
    expect(r.line).toMatch(/^UNKNOWN: usage: .*--bwlimit.*must be above 0/);
    const big = `${dir}/big.yml`;
    writeFileSync(
      big,
      [
        'version: 1',
        `state_dir: ${dir}/state`,
        'jobs:',
        '  j:',
        '    source: zfo-inputs-nopool/a',
        '    targets: [zfo-inputs-nopool/b]',
        '    transport: { mbuffer_size: 1E }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const b = await runCli(['--config', big, 'sync', '--job', 'j']);
    expect(b.code).toBe(3);
    expect(b.line).toMatch(/^UNKNOWN: config error: .*big\.yml:7: jobs\.j\.transport\.mbuffer_size: must be at most 64G, got 1E$/);
  });

  it('--state-dir on /proc is refused at once (a recursive mkdir would spin there forever)', async () => {
    const r = await runCli(['--state-dir', '/proc/1/x', 'sync', 'zfo-inputs-nopool/a', 'zfo-inputs-nopool/b'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.line).toBe('UNKNOWN: refusing /proc/1: state directory not trusted: on a kernel pseudo file system, not a place for state');
  });

  it('-t 25d does not time out at once, and Node prints no overflow warning', async () => {
    const r = await runCli(['--config', cfg, 'check', 'job', '--job', 'j', '--no-zfs', '-t', '25d']);
    expect(r.line).not.toMatch(/timed out/);
    expect(r.line).toMatch(/no run recorded yet/);
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
  });

  it('a list or mapping as a YAML key is one config error line with its line, and Node prints no warning', async () => {
    const bad = `${dir}/complex.yml`;
    writeFileSync(bad, ['version: 1', 'jobs:', '  ? [a, b]', '  : x', ''].join('\n'), { mode: 0o600 });
    const r = await runCli(['--config', bad, 'check', 'job', '--all', '--no-zfs']);
    expect(r.code).toBe(3);
    expect(r.line).toBe(`UNKNOWN: config error: ${bad}:3: YAML: a key must be a plain value, not a list or mapping`);
    expect(r.stderr).toBe('');
  });

  it('an unused template that uses itself is refused like a used one', async () => {
    const bad = `${dir}/templates.yml`;
    writeFileSync(bad, ['version: 1', 'templates:', '  a: { schedules: { hourly: { keep: 24 } } }', '  loop: { use: loop }', 'jobs: {}', ''].join('\n'), {
      mode: 0o600,
    });
    const r = await runCli(['--config', bad, 'check', 'job', '--all', '--no-zfs']);
    expect(r.code).toBe(3);
    expect(r.line).toMatch(new RegExp(`^UNKNOWN: config error: ${bad}:4: templates\\.loop\\.use: template '?loop'? uses itself`));
  });

  it('an argument that is not valid UTF-8 is refused with one line (Node would silently replace the bytes)', async () => {
    const typed = `${dir}/\\377.yml`; // printf turns \377 into the byte 0xff
    const r = await execa('sh', ['-c', 'exec "$0" --config "$(printf "$1")" sync --job j', `${ROOT}bin/zfailover`, typed], { reject: false });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('UNKNOWN: usage: argument 2 is not valid UTF-8 (paths and names must be UTF-8)');
    const plugin = await execa('sh', ['-c', 'exec "$0" --job "$(printf "\\377")"', `${ROOT}bin/check_zfs_job`], { reject: false });
    expect(plugin.exitCode).toBe(3);
    expect(plugin.stdout).toBe('UNKNOWN: usage: argument 2 is not valid UTF-8 (paths and names must be UTF-8)');
    // A valid non-ASCII path is a path like any other.
    const ok = await runCli(['--config', `${dir}/é.yml`, 'sync', '--job', 'j']);
    expect(ok.line).toBe(`UNKNOWN: config error: ${dir}/é.yml: cannot read: no such file`);
  });
});
