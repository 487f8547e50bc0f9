// Execute what we print: take the `fix:` line(s) from real output and run them exactly as an operator pastes
// them (sh -c, zfailover and zfs on PATH). Shared by the printed-fix tests of sync, promote, demote and status.
import { execa } from 'execa';
import { expect } from 'vitest';
import { ROOT, type CliResult } from './cli.js';

/** Nagios's default illegal_macro_output_chars: never in a first line. */
export const NAGIOS_ILLEGAL = /[`~$&|'"<>]/;

/** Every `fix:` line of a result (long output), without the `fix: ` prefix; at least one is expected. */
export const fixesOf = (r: Pick<CliResult, 'stdout'>): string[] => {
  const fixes = r.stdout
    .split('\n')
    .filter((l) => l.trimStart().startsWith('fix: '))
    .map((l) => l.trimStart().slice(5));
  expect(fixes.length, r.stdout).toBeGreaterThan(0);
  return fixes;
};
export const fixOf = (r: Pick<CliResult, 'stdout'>): string => fixesOf(r)[0]!;

/**
 * Runs a printed line the way an operator pastes it: sh, with zfailover and zfs on PATH, and returns the result
 * (first line as `line`). `code` is the exit code the line must end with (0 unless the pasted command is itself
 * expected to refuse). zfs-fuse answers "dataset is busy" for a while after a mount (the pool helpers retry
 * destroy for the same reason): an operator would paste again, so does the test, only on that message.
 */
export const paste = async (line: string, code = 0): Promise<CliResult> => {
  for (let i = 0; ; i++) {
    const r = await execa('sh', ['-c', line], { reject: false, env: { PATH: `${ROOT}bin:/usr/sbin:/usr/bin:/sbin:/bin` }, timeout: 180_000 });
    if (r.exitCode !== 0 && /dataset is busy/.test(r.stderr) && i < 20) {
      await new Promise((res) => setTimeout(res, 1000));
      continue;
    }
    expect(r.exitCode, `${line}\n${r.stdout}\n${r.stderr}`).toBe(code);
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, line: r.stdout.split('\n')[0] ?? '' };
  }
};

/**
 * The option letters of one program in a printed pipeline (`optionLetters(line, 'zfs send')`): the tokens that start
 * with `-` between the program and the next `|`, combined flags spread (`-Lec` gives L, e, c). A regex over the whole
 * line would also match inside names: a sync snapshot carries the host name (`..._vm-cc1867_...` has a `-c`).
 */
export const optionLetters = (line: string, program: string): Set<string> => {
  const at = line.indexOf(`${program} `);
  expect(at, `${program} in: ${line}`).toBeGreaterThanOrEqual(0);
  const segment = line.slice(at + program.length).split('|')[0]!;
  const letters = segment
    .split(/\s+/)
    .filter((t) => /^-[A-Za-z]+$/.test(t))
    .flatMap((t) => [...t.slice(1)]);
  return new Set(letters);
};
