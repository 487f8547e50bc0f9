// Pure classification of a failed zfs/zpool command from its stderr, exit status and argv. Each pattern names the
// implementation whose message it matches; fixtures of real stderr from both are in test/fixtures/zfs/.
import type { ZfsFailureReason } from './errors.js';
import { STAGE_FAILED_MARKER } from './quote.js';

interface Rule {
  readonly re: RegExp;
  readonly reason: ZfsFailureReason | ((argv: readonly string[], m: RegExpExecArray) => ZfsFailureReason);
}

const verb = (argv: readonly string[]): string => {
  const v = argv[1] ?? '';
  return v === 'receive' ? 'recv' : v;
};

/** The object a "does not exist" message names, else the last argument: a snapshot when it has `@`. */
const missingWhat = (argv: readonly string[], m: RegExpExecArray): ZfsFailureReason => {
  const named = m[1] ?? m[2] ?? argv[argv.length - 1] ?? '';
  return named.includes('@') ? 'snapshot-not-found' : 'dataset-not-found';
};

// Order matters: specific receive/resume messages before the generic errno texts they end with.
const RULES: readonly Rule[] = [
  // dash ("sh: 1: zfs: not found") and bash ("bash: line 1: zfs: command not found"), exit 127: a remote host
  // without zfs on its PATH (or without a tool of the stream: dd, mbuffer, zstd, lz4).
  { re: /\b(zfs|zpool|dd|mbuffer|zstd|lz4|pv): (command )?not found/, reason: 'command-not-found' },
  // OpenZFS 2.3 (EZFS_SUSPENDED / ZFS_ERR_IOC...): the pool lost its devices; `zpool clear` once they are back.
  { re: /pool I\/O is currently suspended|is suspended/, reason: 'pool-suspended' },
  // zfs-fuse 0.7 and OpenZFS 2.3 (libzfs_sendrecv.c): incremental into a target changed since its newest snapshot.
  { re: /has been modified\s+since most recent snapshot/, reason: 'target-modified' },
  // zfs-fuse 0.7 and OpenZFS 2.3: the target's newest snapshot is not the stream's `from` (it has newer ones, or lost it).
  { re: /most recent snapshot of .* does not\s+match incremental source/, reason: 'incremental-mismatch' },
  // OpenZFS 2.3 recv -F of a full stream / zfs-fuse 0.7: "destination has snapshots (eg. x) must destroy them".
  { re: /destination has snapshots/, reason: 'target-has-newer-snapshots' },
  // zfs-fuse 0.7 and OpenZFS 2.3 `rollback` without -r: "more recent snapshots [or bookmarks] exist".
  { re: /more recent snapshots( or bookmarks)? exist/, reason: 'target-has-newer-snapshots' },
  // zfs-fuse 0.7 and OpenZFS 2.3: full stream into an existing dataset without -F.
  { re: /destination '.*' exists\s+must specify -F/, reason: 'target-exists' },
  // OpenZFS 2.3: a partial `recv -s` state blocks other receives into the dataset.
  { re: /contains partially-complete state/, reason: 'resume-state-exists' },
  // OpenZFS 2.3 `send -t`: token corrupt, or its snapshot/fs is gone; `recv -A` with nothing to abort.
  { re: /resume token is corrupt|invalid resume token|used in the initial send no longer exists|cannot resume send/, reason: 'resume-token-invalid' },
  // OpenZFS 2.3 `recv -A` on a dataset without partial state.
  { re: /does not have any resumable receive state/, reason: 'resume-token-invalid' },
  // OpenZFS 2.3 (EACCES on encrypted datasets): "encryption key not loaded" / "key must be loaded".
  { re: /key (is )?not loaded|key must be loaded|encryption key is not loaded/i, reason: 'key-not-loaded' },
  // OpenZFS >= 2.4 destroy of a held snapshot (2.3 and zfs-fuse say "dataset is busy": see commands).
  { re: /it's being held|snapshot is held/, reason: 'held' },
  // zfs-fuse 0.7 receiving an OpenZFS 2.3 stream: "cannot receive: stream has unsupported feature, feature flags = 4".
  { re: /stream has unsupported feature/, reason: 'stream-unsupported' },
  // zfs-fuse 0.7 and OpenZFS 2.3 (EZFS_NOSPC / EDQUOT).
  { re: /out of space|space quota exceeded|insufficient space|No space left/i, reason: 'no-space' },
  // zfs-fuse 0.7 and OpenZFS 2.3 (EZFS_PERM), and delegation failures.
  { re: /permission denied|Operation not permitted|must be root|insufficient privileges/i, reason: 'permission-denied' },
  // zfs-fuse 0.7 and OpenZFS 2.3 `hold` of an existing tag.
  { re: /tag already exists on this dataset/, reason: 'already-exists' },
  // zfs-fuse 0.7 and OpenZFS 2.3 (EZFS_EXISTS); OpenZFS bookmark: "bookmark exists".
  { re: /dataset already exists|bookmark exists|already exists/, reason: 'already-exists' },
  // OpenZFS 2.3 destroy ds@a,b: none of the named snapshots exist.
  { re: /could not find any snapshots to destroy/, reason: 'snapshot-not-found' },
  // zfs-fuse 0.7 and OpenZFS 2.3 `release` of a tag that is not there.
  { re: /no such tag on this dataset/, reason: 'hold-not-found' },
  // zfs-fuse 0.7 `send` of a missing snapshot: "WARNING: could not send pool/ds@x: does not exist".
  { re: /could not send (\S+): does not exist/, reason: missingWhat },
  // zfs-fuse 0.7 and OpenZFS 2.3: "cannot open 'x': dataset does not exist", recv "destination 'x' does not exist".
  {
    re: /'([^']*)'[^\n]*: dataset does not exist|dataset does not exist|destination '([^']*)' does not exist|no such pool|no such dataset/,
    reason: missingWhat,
  },
  // zfs-fuse 0.7 / OpenZFS 2.3 (EBUSY): a receive into the same dataset already runs, or the dataset is in use.
  { re: /dataset is busy|pool is busy|is busy/, reason: (argv) => (verb(argv) === 'recv' ? 'receive-in-progress' : 'busy') },
  // OpenZFS 2.3 `zfs snapshot a@x a@y`: one snapshot per filesystem per call (the caller batches per dataset).
  { re: /multiple snapshots of same fs not allowed/, reason: 'unsupported' },
  // zfs-fuse 0.7 rejects `ds@a,b` (no destroy lists); our names are validated, so it is the syntax it lacks.
  { re: /invalid dataset name/, reason: 'unsupported' },
  // zfs-fuse 0.7 and OpenZFS 2.3: interrupted by a signal (EINTR).
  { re: /signal received|Interrupted system call/, reason: 'killed' },
  // zfs-fuse 0.7 usage errors and OpenZFS 2.3 for flags/properties/commands it does not have.
  {
    re: /invalid option '.'|unrecognized command|bad property list: invalid property|invalid type '|operation not supported|pool must be upgraded|unsupported version|feature .* not enabled|pyzfs\.py not found|kernel modules must be upgraded|Operation not supported/,
    reason: 'unsupported',
  },
];

/** Reason a zfs/zpool command failed. `exitCode` null means it was killed by a signal. */
export const classifyZfsFailure = (stderr: string, argv: readonly string[], exitCode: number | null): ZfsFailureReason => {
  for (const rule of RULES) {
    const m = rule.re.exec(stderr);
    if (m) return typeof rule.reason === 'function' ? rule.reason(argv, m) : rule.reason;
  }
  if (exitCode === null) return 'killed';
  return 'unknown';
};

/**
 * Messages a stage prints because ANOTHER stage of its pipeline failed: a sender whose reader went away, a
 * receiver whose stream ended early. The pipeline runner prefers any other failure as the root cause.
 */
export const isConsequentialFailure = (stderr: string): boolean =>
  // zfs-fuse 0.7 / OpenZFS 2.3 send: "warning: cannot send 'x': Broken pipe"; zfs-fuse 0.7 send whose reader (a
  // socketpair, as node joins stages) closed with data unread: "internal error: Connection reset by peer" and
  // SIGABRT; recv: "invalid backup stream", "incomplete stream", "failed to read from stream".
  /Broken pipe|Connection reset by peer|invalid backup stream|incomplete stream|failed to read from stream|premature EOF|Input\/output error$/m.test(stderr);

/** Failures that an idempotent verb treats as "already done". */
export const isAlreadyDone = (verbName: 'destroy' | 'hold' | 'release' | 'abort', reason: ZfsFailureReason): boolean => {
  switch (verbName) {
    case 'destroy':
      return reason === 'snapshot-not-found';
    case 'hold':
      return reason === 'already-exists';
    case 'release':
      return reason === 'hold-not-found' || reason === 'snapshot-not-found';
    case 'abort':
      // Aborting a partial full receive destroys the half-made dataset: a second abort finds nothing at all.
      return reason === 'resume-token-invalid' || reason === 'dataset-not-found';
  }
};

/** What an ssh failure was, finer than its kind: the first line and the failure table (docs/design.md §2) use it. */
export type SshCause = 'connection-lost' | 'connection-refused' | 'timeout' | 'dns' | 'host-key' | 'auth' | 'ssh-config';

export type SshFailure =
  | { readonly kind: 'unreachable'; readonly cause: 'connection-lost' | 'connection-refused' | 'timeout' | 'dns'; readonly detail: string }
  | { readonly kind: 'host-key'; readonly cause: 'host-key'; readonly detail: string }
  | { readonly kind: 'auth'; readonly cause: 'auth'; readonly detail: string }
  | { readonly kind: 'other'; readonly cause: 'ssh-config'; readonly detail: string };

const UNREACHABLE: readonly { readonly re: RegExp; readonly cause: 'connection-lost' | 'connection-refused' | 'timeout' | 'dns'; readonly say: string }[] = [
  { re: /Could not resolve hostname|Name or service not known|Temporary failure in name resolution/, cause: 'dns', say: 'cannot resolve host name' },
  { re: /Connection refused/, cause: 'connection-refused', say: 'connection refused' },
  { re: /timed out|Timeout, server|No route to host|Network is unreachable/, cause: 'timeout', say: 'no answer' },
  {
    re: /Connection closed|Connection reset|kex_exchange_identification|Broken pipe|Session open refused by peer|open failed: .*administratively prohibited|closed by remote host|Control socket connect|read from master failed/,
    cause: 'connection-lost',
    say: 'connection lost',
  },
];

/**
 * ssh's own failures (OpenSSH 9.x messages). ssh exits 255 for them; a remote command that exits 255 itself
 * is not ssh's failure, so callers only ask when the status is 255 and then fall back to zfs classification.
 * A multiplexed session whose master connection dies (host powered off, sshd stopped, link cut) exits 255 with
 * nothing on stderr: with `exitCode` 255 and no zfs message either, that is a lost connection. The remote
 * command never exits 255 itself (`REMOTE_EXIT` in quote.ts turns its 255 into 254), so a 255 is ssh's.
 */
export const classifySshFailure = (stderr: string, exitCode?: number | null): SshFailure | null => {
  const line = (re: RegExp): string =>
    stderr
      .split('\n')
      .find((l) => re.test(l))
      ?.trim() ??
    stderr.trim().split('\n')[0] ??
    '';
  const hostKey = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed|No .* host key is known/;
  if (hostKey.test(stderr)) return { kind: 'host-key', cause: 'host-key', detail: line(hostKey) };
  const auth = /Permission denied \((publickey|password|keyboard-interactive|gssapi)|Too many authentication failures/;
  if (auth.test(stderr)) return { kind: 'auth', cause: 'auth', detail: line(auth) };
  for (const u of UNREACHABLE) if (u.re.test(stderr)) return { kind: 'unreachable', cause: u.cause, detail: u.say };
  // Configuration mistakes that retrying cannot fix: a bad -o, a missing key, a ControlPath over 108 bytes.
  const config =
    /^ssh: |Bad configuration option|^command-line line|^Pseudo-terminal|^Warning: Identity file|too long for Unix domain socket|ControlPath too long/m;
  if (config.test(stderr)) return { kind: 'other', cause: 'ssh-config', detail: line(config) };
  if (exitCode === 255 && classifyZfsFailure(stderr, [], 255) === 'unknown' && !stderr.includes(STAGE_FAILED_MARKER)) {
    return { kind: 'unreachable', cause: 'connection-lost', detail: 'connection lost' };
  }
  return null;
};
