// Runs the built executables the way an operator (or Monit) does, and returns exit code and output.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/zfailover`;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** First stdout line (the status line). */
  readonly line: string;
}

export const cliBuilt = (): string | null => (existsSync(`${ROOT}dist/cli/bin.js`) ? null : 'dist/ is missing: run npm run build');

export const runCli = async (
  args: readonly string[],
  opts: { env?: Record<string, string>; bin?: string; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> => {
  const r = await execa(opts.bin ?? BIN, [...args], {
    reject: false,
    env: opts.env ?? {},
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, line: r.stdout.split('\n')[0] ?? '' };
};

/** The status line contract shared by every executable: `STATE: text[ | perfdata]`. */
export const STATUS_LINE = /^(OK|WARNING|CRITICAL|UNKNOWN): [^\n|]*( \| .*)?$/;
