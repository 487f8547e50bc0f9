// The plugin contract of every check_zfs_* executable (built bin, scripted zfs): --help/--version/usage errors
// exit 3, --timeout gives UNKNOWN and kills the hung zfs, 1,000 datasets keep the first line short and the
// output bounded, nothing on stderr; plus what zfs-fuse cannot stage: `written` (target-modified, rpo 0),
// resume tokens and send estimates as OpenZFS 2.3 prints them.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { fakeZfs, type FakeDataset, type FakeZfs } from './check-fixtures.js';
import { judge } from './check-oracles.js';

const reason = cliBuilt();
const BINS = ['rpo', 'divergence', 'job', 'health', 'capacity'] as const;

describe.skipIf(reason)(`check_zfs_* plugin contract${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let fake: FakeZfs;
  beforeEach(() => {
    fake = fakeZfs();
  });
  afterEach(() => fake.cleanup());
  const run = async (bin: string, ...args: string[]) => {
    const r = await execa(`${ROOT}bin/check_zfs_${bin}`, [...args, '--state-dir', fake.stateDir], { reject: false, env: fake.env });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const judged = async (bin: string, ...args: string[]) => {
    const r = await run(bin, ...args);
    expect(r.stderr).toBe('');
    return { ...judge(r.stdout, r.code), ...r };
  };

  test.each(BINS)('check_zfs_%s: --help and --version exit 3; the help is headed by the plugin name', async (bin) => {
    const h = await run(bin, '--help');
    expect(h.code).toBe(3);
    expect(h.stdout).toMatch(new RegExp(`^Usage: check_zfs_${bin} \\[options\\]`));
    expect(h.stdout).toMatch(/-w, --warning <range>[\s\S]*-c, --critical <range>[\s\S]*-t, --timeout <duration>/);
    const v = await run(bin, '--version');
    expect([v.code, v.stdout.trim()]).toEqual([3, `check_zfs_${bin} 0.1.0`]);
  });

  test.each([
    [['-w', '10x', 'a/b', 'c/d'], /^UNKNOWN: usage: .*invalid range 10x/],
    [['--bogus'], /^UNKNOWN: usage: unknown option --bogus/],
    [[], /^UNKNOWN: give SOURCE TARGET\.\.\., --job NAME or --all$/],
    [['tank/a@snap', 'b/c'], /^UNKNOWN: invalid source tank\/a@snap/],
    [['--all', 'tank/a', 'b/c'], /^UNKNOWN: give only one of/],
    [['-c', '2h:1h', 'a/b', 'c/d'], /start is greater than end/],
  ])('usage error %j: one UNKNOWN line, exit 3', async (args, line) => {
    const r = await run('rpo', ...args);
    expect(r.code).toBe(3);
    expect(r.stdout.split('\n')[0]).toMatch(line);
    expect(r.stderr).toBe('');
  });

  test('--timeout: UNKNOWN after the deadline, and the hung zfs is killed, not orphaned', async () => {
    const NOW = Math.floor(Date.now() / 1000);
    fake.setListing('tank/src', [{ name: 'tank/src', snaps: [['a', '11', 5, NOW - 10]] }]);
    fake.hangListing('bk/dst', 47.25);
    const t0 = Date.now();
    const r = await judged('rpo', 'tank/src', 'bk/dst', '-t', '1');
    expect([r.state, r.code, r.summary]).toEqual(['UNKNOWN', 3, 'timed out after 1s']);
    expect(Date.now() - t0).toBeLessThan(25_000); // the listing hangs 47 s: only the 1 s timeout ends it sooner
    // The killed zfs is gone (polled: its reaping is not instantaneous on a loaded machine).
    const hung = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('sleep 47.25'));
    for (const bound = Date.now() + 10_000; hung().length > 0 && Date.now() < bound;) await new Promise((res) => setTimeout(res, 100));
    expect(hung()).toEqual([]);
  });

  test('1,000 datasets, 3 CRITICAL: first line within 200 bytes of text, output bounded, each problem named in long output', async () => {
    const NOW = Math.floor(Date.now() / 1000);
    const src: FakeDataset[] = [{ name: 'tank/src', snaps: [['a', '1', 5, NOW - 20]] }];
    const dst: FakeDataset[] = [{ name: 'bk/dst', snaps: [['a', '1', 5, NOW - 20]] }];
    for (let i = 0; i < 999; i++) {
      const lag = i % 333 === 7 ? 7200 : 20;
      src.push({
        name: `tank/src/d${i}`,
        snaps: [
          ['old', `${1000 + i}`, 5, NOW - lag],
          ['new', `${5000 + i}`, 9, NOW - 15],
        ],
      });
      dst.push({
        name: `bk/dst/d${i}`,
        snaps:
          lag > 20
            ? [['old', `${1000 + i}`, 5, NOW - lag]]
            : [
                ['old', `${1000 + i}`, 5, NOW - lag],
                ['new', `${5000 + i}`, 9, NOW - 15],
              ],
      });
    }
    fake.setListing('tank/src', src);
    fake.setListing('bk/dst', dst);
    const r = await judged('rpo', '-r', 'tank/src', 'bk/dst', '-w', '1m', '-c', '1h', '--no-estimate');
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(Buffer.byteLength(r.summary)).toBeLessThanOrEqual(200);
    expect(r.summary).toBe(
      '3 of 1000 datasets CRITICAL: bk/dst/d340: rpo 2h00m (above 1h00m), 1 snapshot behind, bk/dst/d673: rpo 2h00m (above 1h00m), 1 snapshot behind, bk/dst/d7: rpo 2h00m (above 1h00m), 1 snapshot behind',
    );
    expect(r.perf.rpo?.value).toBeGreaterThanOrEqual(7200);
    expect(r.perf.rpo?.value).toBeLessThan(7210);
    expect(r.perf.behind?.value).toBe(1);
    expect(r.lines.length).toBeLessThanOrEqual(102);
    const heads = r.lines.slice(1).filter((l) => !l.startsWith(' '));
    expect(heads.slice(0, 4).map((l) => l.slice(0, 20))).toEqual([
      'CRITICAL: bk/dst/d34',
      'CRITICAL: bk/dst/d67',
      'CRITICAL: bk/dst/d7:',
      'OK: bk/dst: rpo 0s (',
    ]);
    expect(r.lines.at(-1)).toMatch(/^\.\.\. \d+ more not shown \(\d+ OK\)$/);
    // One listing per side, whatever the number of datasets.
    expect(fake.calls().filter((c) => c.startsWith('list ')).length).toBe(2);
  });

  test('OpenZFS `written`: an unchanged source makes rpo 0; a written replica is target-modified with its fix', async () => {
    const NOW = Math.floor(Date.now() / 1000);
    fake.setListing('tank/src', [{ name: 'tank/src', snaps: [['a', '11', 5, NOW - 5000]], props: { written: '0' } }]);
    fake.setListing('bk/dst', [{ name: 'bk/dst', snaps: [['a', '11', 7, NOW - 5000]], props: { written: '0' } }]);
    const r = await judged('rpo', 'tank/src', 'bk/dst');
    expect([r.state, r.summary, r.perf.rpo?.value]).toEqual(['OK', 'bk/dst: rpo 0s (unchanged since the newest snapshot)', 0]);
    fake.setListing('bk/dst', [{ name: 'bk/dst', snaps: [['a', '11', 7, NOW - 5000]], props: { written: '73728' } }]);
    const d = await judged('divergence', 'tank/src', 'bk/dst');
    expect([d.state, d.code]).toEqual(['CRITICAL', 2]);
    expect(d.summary).toMatch(/^bk\/dst: target-modified: was modified since @a \(73728 bytes written/);
    expect(d.lines).toContainEqual(
      expect.stringMatching(
        /^ {2}fix: zfailover (--state-dir \S+ )?sync tank\/src bk\/dst --rollback-target {2}# discards the writes made on the replica since @a/,
      ),
    );
  });

  test('resume token and send estimate: pending bytes and the partial receive are reported; divergence calls it behind', async () => {
    const NOW = Math.floor(Date.now() / 1000);
    fake.setListing('tank/src', [
      {
        name: 'tank/src',
        snaps: [
          ['a', '11', 5, NOW - 100],
          ['b', '12', 6, NOW - 40],
        ],
        props: { written: '4096' },
      },
    ]);
    fake.setListing('bk/dst', [{ name: 'bk/dst', snaps: [['a', '11', 7, NOW - 100]], props: { written: '0', receive_resume_token: '1-e604ea4bf-e0-789c63' } }]);
    fake.setSendEstimate(5_242_880);
    fake.setResumeToken('tank/src@b', '12', 1_048_576);
    const r = await judged('rpo', 'tank/src', 'bk/dst', '-w', '1h', '-c', '2h');
    expect(r.summary).toMatch(/^bk\/dst: rpo 10[0-5]s, 1 snapshot behind, 5\.0MiB pending$/);
    expect(r.perf).toMatchObject({ pending: { value: 5_242_880, uom: 'B' }, resume_age: { uom: 's' } });
    expect(r.perf.resume_age?.value).toBeGreaterThanOrEqual(40);
    expect(r.lines).toContain('  partial receive pending of @b: the next sync resumes it');
    const d = await judged('divergence', 'tank/src', 'bk/dst');
    expect([d.state, d.summary]).toEqual(['OK', 'bk/dst: behind by 1 snapshot (common @a)']);
    expect(d.lines).toContain('  a partial receive is pending: the next sync resumes (or aborts) it');
  });

  test('unexpected zfs output is UNKNOWN naming the command, never a crash exit code', async () => {
    fake.setListing('tank/src', [{ name: 'tank/src', snaps: [] }]);
    fake.failListing('bk/dst', 'internal error: Bad file descriptor');
    const r = await judged('rpo', 'tank/src', 'bk/dst');
    expect([r.state, r.code]).toEqual(['UNKNOWN', 3]);
    expect(r.summary).toMatch(/^bk\/dst: cannot list target: /);
  });
});
