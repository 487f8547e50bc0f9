// Turning a finished command into an ExecResult or a classified error: shared by the local and ssh runners.
import { constants } from 'node:os';
import { DeadlineError, type ZfoError, isZfoError } from '../errors.js';
import { classifyZfsFailure } from './classify.js';
import { badOutput, ZfsError } from './errors.js';
import { STDOUT_LIMIT, type SpawnResult } from './spawn.js';
import type { ExecResult } from './types.js';

/** The error for a command that was stopped by us: the abort reason when it is one of ours, else `killed`. */
export const stoppedError = (
  argv: readonly string[],
  host: string,
  r: SpawnResult,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): ZfoError => {
  if (r.aborted && isZfoError(signal?.reason)) return signal.reason;
  // sync's --deadline (sync/cycle.ts deadlineSignal) aborts with a DOMException named TimeoutError.
  if (r.aborted && signal?.reason instanceof Error && signal.reason.name === 'TimeoutError')
    return new DeadlineError(`deadline reached during ${argv.slice(0, 2).join(' ')}${host === 'local' ? '' : ` on ${host}`}: the next run resumes`);
  const why = r.timedOut ? `timed out after ${Math.round((timeoutMs ?? 0) / 1000)}s` : 'interrupted';
  return new ZfsError({
    reason: 'killed',
    argv,
    host,
    exitCode: r.exitCode,
    stderr: r.stderr,
    message: `${argv.slice(0, 2).join(' ')}${host === 'local' ? '' : ` on ${host}`}: ${why}`,
  });
};

/** A command whose output passed STDOUT_LIMIT: stopped and refused rather than read whole into memory. */
export const tooMuchOutput = (argv: readonly string[], host: string): ZfsError =>
  badOutput(
    argv,
    host,
    `${argv.slice(0, 2).join(' ')}${host === 'local' ? '' : ` on ${host}`} printed more than ${STDOUT_LIMIT / 1024 / 1024} MiB: stopped and refused (not read into memory)`,
    {
      exitCode: null,
    },
  );

export const zfsErrorFor = (argv: readonly string[], host: string, r: Pick<SpawnResult, 'exitCode' | 'stderr'>): ZfsError =>
  new ZfsError({ reason: classifyZfsFailure(r.stderr, argv, r.exitCode), argv, host, exitCode: r.exitCode, stderr: r.stderr });

export const toExecResult = (argv: readonly string[], r: SpawnResult): ExecResult => ({
  argv,
  // A signal death is reported as 128+n, the shell convention, so callers with allowFailure still see non-zero.
  exitCode: r.exitCode ?? 128 + signalNumber(r.signal),
  stdout: r.stdout,
  stderr: r.stderr,
});

const signalNumber = (s: NodeJS.Signals | null): number => (s ? (constants.signals[s] ?? 9) : 9);
