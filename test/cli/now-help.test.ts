// `--now` (docs/parts/retention.md: reason about retention at a given time) is in the --help of every command that
// takes it, and the example time the help prints is accepted as it stands (a bad one is a usage error).
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { BIN, ROOT, cliBuilt } from '../helpers/cli.js';

const reason = cliBuilt();
const COMMANDS: readonly [string, string[]][] = [
  [BIN, ['snapshot']],
  [BIN, ['prune']],
  [BIN, ['check', 'gaps']],
  [`${ROOT}bin/check_zfs_gaps`, []],
];

describe.skipIf(reason)(`--now in --help${reason ? ` (skipped: ${reason})` : ''}`, () => {
  test.each(COMMANDS)('%s %s', async (bin, args) => {
    const help = await execa(bin, [...args, '--help'], { reject: false });
    const m = /--now <time>\s+(.*?e\.g\.\s+(\S+))/s.exec(help.stdout);
    expect(m, help.stdout).not.toBeNull();
    // The printed example parses: with a config that does not exist, the error is about the config, not --now.
    const run = await execa(bin, [...args, '--config', '/nonexistent/zfailover.yml', '--now', m![2]!], { reject: false });
    expect(run.stdout).not.toMatch(/not an ISO time/);
    expect(run.stdout.split('\n')[0]).toMatch(/nonexistent/);
    const bad = await execa(bin, [...args, '--config', '/nonexistent/zfailover.yml', '--now', 'yesterday'], { reject: false });
    expect([bad.exitCode, bad.stdout.split('\n')[0]]).toEqual([3, expect.stringMatching(/^UNKNOWN: usage: .*not an ISO time: yesterday /)]);
  });
});
