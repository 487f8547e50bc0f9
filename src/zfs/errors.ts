// Errors of the zfs adapter: a failed zfs/zpool command with the reason it failed (from its stderr), and the
// ssh failures that are not "host unreachable". The reason alone decides the kind, hence the exit code.
import { commandLine, fixLine } from '../core/operator-command.js';
import { type ErrorKind, PermanentError, ZfoError } from '../errors.js';
import { STAGE_FAILED_MARKER } from './quote.js';

export type ZfsFailureReason =
  | 'dataset-not-found'
  | 'snapshot-not-found'
  | 'busy'
  | 'receive-in-progress'
  | 'target-modified'
  | 'target-has-newer-snapshots'
  | 'incremental-mismatch'
  | 'target-exists'
  | 'resume-state-exists'
  | 'resume-token-invalid'
  | 'no-space'
  | 'permission-denied'
  | 'unsupported'
  | 'held'
  | 'hold-not-found'
  | 'already-exists'
  | 'key-not-loaded'
  | 'stream-unsupported'
  | 'killed'
  | 'command-not-found'
  | 'pool-suspended'
  | 'bad-output'
  | 'unknown';

/** busy/receive-in-progress/killed clear by themselves (next run retries); unsupported and bad-output are ours. */
export const kindForReason = (reason: ZfsFailureReason): ErrorKind => {
  switch (reason) {
    case 'busy':
    case 'receive-in-progress':
    case 'killed':
      return 'transient';
    case 'unsupported':
    case 'bad-output':
      return 'internal';
    default:
      return 'permanent';
  }
};

const HINTS: Partial<Record<ZfsFailureReason, string>> = {
  'target-modified': 'the target was changed after its newest snapshot; zfailover sync --rollback-target discards that change',
  'target-has-newer-snapshots': 'the target has snapshots the source lacks; zfailover sync --rollback-target destroys them',
  'incremental-mismatch': 'the target no longer has the snapshot the stream starts from; run zfailover status',
  'no-space': 'free space in the pool (zfailover prune) or grow it',
  'key-not-loaded': 'load the key (zfs load-key) or send raw',
  'permission-denied': 'run as root or delegate the permissions with zfs allow',
  'command-not-found': 'install zfs (or the missing tool) on that host, or put it on the PATH of its ssh sessions',
  'pool-suspended': 'the pool lost its devices: bring them back, then clear the pool (zpool clear)',
  'stream-unsupported': 'the receiving zfs cannot read this stream (older implementation): upgrade it, or send without -c/-L/-e/-w',
};

/**
 * The receive's target is its last argument. The fix drops the partial state with the one builder's quoting;
 * on another host the caller that knows how it is reached (sync: the job's ssh) rebuilds it with ssh around.
 */
const abortResumeHint = (f: ZfsErrorFields): string => {
  const target = f.argv.at(-1);
  if (f.argv[0] !== 'zfs' || !/^(receive|recv)$/.test(f.argv[1] ?? '') || !target || target.startsWith('-'))
    return 'a partial receive is pending: it is resumed next run, or dropped with zfs receive -A on the target';
  return fixLine(
    commandLine(['zfs', 'receive', '-A', target]),
    `drops the partial receive${f.host === 'local' ? '' : ` (run it on ${f.host})`}; otherwise the next run resumes it`,
  );
};

const hintFor = (f: ZfsErrorFields): string | undefined => f.hint ?? (f.reason === 'resume-state-exists' ? abortResumeHint(f) : HINTS[f.reason]);

export interface ZfsErrorFields {
  readonly reason: ZfsFailureReason;
  readonly argv: readonly string[];
  readonly host: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  /** One-line message; derived from stderr when absent. */
  readonly message?: string;
  readonly cause?: unknown;
  /** The fix, when the caller builds a better one (e.g. with the job's ssh for a remote host). */
  readonly hint?: string;
}

/** A zfs/zpool command failed (or printed what we cannot parse). */
export class ZfsError extends ZfoError {
  readonly kind: ErrorKind;
  readonly reason: ZfsFailureReason;
  readonly argv: readonly string[];
  readonly host: string;
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(f: ZfsErrorFields) {
    const stderr = f.stderr.trim();
    super(f.message ?? defaultMessage(f.argv, f.host, stderr, f.exitCode), {
      cause: f.cause,
      ...(hintFor(f) ? { hint: hintFor(f) } : {}),
    });
    this.reason = f.reason;
    this.kind = kindForReason(f.reason);
    this.argv = f.argv;
    this.host = f.host;
    this.exitCode = f.exitCode;
    this.stderr = stderr;
  }

  /** The same failure, with the command that resolves it (the first error stays its cause). */
  withHint(hint: string): ZfsError {
    const { reason, argv, host, exitCode, stderr, message } = this;
    return new ZfsError({ reason, argv, host, exitCode, stderr, message, cause: this, hint });
  }
}

/** One dd progress record (`1048576 bytes (1.0 MB, 1.0 MiB) copied, 1.2 s, 874 kB/s`). */
const DD_PROGRESS = /(\d+ bytes (?:\([^)\r\n]*\) )?copied, [^,\r\n]+, [\d.,]+ ?[kMGTPE]?i?B\/s)/g;

/** Output zfailover cannot read as the command's documented format: refused, never guessed at. */
export const badOutput = (argv: readonly string[], host: string, message: string, opts: { stderr?: string; exitCode?: number | null } = {}): ZfsError =>
  new ZfsError({ reason: 'bad-output', argv, host, exitCode: opts.exitCode === undefined ? 0 : opts.exitCode, stderr: opts.stderr ?? '', message });

/** The line of stderr that says why (zfs prints `cannot ...: reason`; usage dumps follow an `invalid option`). */
export const reasonLine = (stderr: string): string => {
  // The meter stage's (dd) counts and records lines are bookkeeping, never the reason; so is the marker of a failed
  // remote stage. dd rewrites its progress line with \r and, killed by the broken pipe, ends it without a newline:
  // the receiver's `cannot ...` then continues that line, so each progress record is cut off first.
  const lines = stderr
    .replace(DD_PROGRESS, '$1\n')
    .split(/[\r\n]/)
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+ bytes .*copied|^\d+\+\d+ records (in|out)$/.test(l) && !l.startsWith(`${STAGE_FAILED_MARKER} `));
  const best = lines.find((l) => /^(cannot|internal error|invalid|bad property|unrecognized|missing|too many|warning)/i.test(l)) ?? lines[0] ?? '';
  return best.length > 240 ? `${best.slice(0, 237)}...` : best;
};

const defaultMessage = (argv: readonly string[], host: string, stderr: string, exitCode: number | null): string => {
  const what = argv.slice(0, 2).join(' ');
  const why = reasonLine(stderr) || (exitCode === null ? 'killed' : `exit ${exitCode}`);
  return `${what}${host === 'local' ? '' : ` on ${host}`}: ${why}`;
};

/** ssh could reach the host but the key was refused: permanent until someone installs the key. */
export class SshAuthError extends PermanentError {
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`ssh authentication to ${host} failed: ${detail}`, {
      hint: `install the public key of the zfailover user in ${host}'s authorized_keys, or set ssh.key in the config`,
    });
  }
}

/** ssh failed for a reason we do not recognise (bad option, config error): retrying will not help. */
export class SshError extends PermanentError {
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`ssh to ${host} failed: ${detail}`);
  }
}
