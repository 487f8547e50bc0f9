// The one error hierarchy. Every failure the tool can name is a ZfoError with a kind; the kind alone decides
// the state (src/outcome.ts) and so the exit code (src/cli/exit.ts), so no module deep in the code ever picks an exit status itself.

/**
 * usage     bad arguments                                   -> 3 UNKNOWN
 * config    bad or unsafe configuration file                -> 3 UNKNOWN
 * transient busy, unreachable host, deadline: retry next run -> 1 WARNING
 * conflict  needs a human (diverged, no common snapshot ...) -> 2 CRITICAL
 * permanent failed and will fail again until fixed          -> 2 CRITICAL
 * internal  a bug or unexpected output                      -> 3 UNKNOWN
 */
export type ErrorKind = 'usage' | 'config' | 'transient' | 'conflict' | 'permanent' | 'internal';

export abstract class ZfoError extends Error {
  abstract readonly kind: ErrorKind;
  /** The command or action that resolves the problem, shown to the operator. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

export class UsageError extends ZfoError {
  readonly kind = 'usage';
}

export class ConfigError extends ZfoError {
  readonly kind = 'config';
}

export class TransientError extends ZfoError {
  readonly kind = 'transient';
}

export class PermanentError extends ZfoError {
  readonly kind = 'permanent';
}

export class InternalError extends ZfoError {
  readonly kind = 'internal';
}

/** Another run holds the job's lock. */
export class LockBusyError extends TransientError {
  constructor(
    readonly job: string,
    readonly holderPid: number,
    readonly sinceMs: number,
  ) {
    super(`job ${job} is already running (pid ${holderPid}, for ${Math.max(0, Math.round(sinceMs / 1000))}s)`);
  }
}

/** The run's own --deadline expired; the pipeline was killed and the next run resumes. */
export class DeadlineError extends TransientError {}

/** A host could not be reached (ssh connect/auth failure, timeout). */
export class HostUnreachableError extends TransientError {
  constructor(
    readonly host: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${host} unreachable: ${detail}`, options);
  }
}

/** ssh refused the host key: never retried silently, the operator must check the key. */
export class HostKeyError extends PermanentError {
  constructor(readonly host: string) {
    super(`host key verification failed for ${host}`, {
      hint: `verify the key, then add it with: ssh-keyscan -H ${host} >> ~/.ssh/known_hosts`,
    });
  }
}

/** Name of a conflict the planner or a guard found; each has its own remediation. */
export type ConflictName =
  | 'no-source-snapshots'
  | 'no-common-snapshot'
  | 'diverged'
  | 'snapshot-name-reused'
  | 'target-newer'
  | 'target-modified'
  | 'target-is-primary'
  | 'target-epoch-higher'
  | 'source-not-primary'
  | 'two-primaries'
  | 'promotion-in-progress'
  | 'unsafe';

export class ConflictError extends ZfoError {
  readonly kind = 'conflict';
  constructor(
    readonly conflict: ConflictName,
    message: string,
    options?: { cause?: unknown; hint?: string; evidence?: unknown },
  ) {
    super(message, options);
    this.evidence = options?.evidence;
  }
  readonly evidence: unknown;
}

export const isZfoError = (e: unknown): e is ZfoError => e instanceof ZfoError;

/** One line, for status output and logs: never a stack trace. */
export const oneLine = (e: unknown): string => {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim();
};
