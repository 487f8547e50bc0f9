// Pure argv builders for `zfs send` and `zfs receive`: only flags the host supports, raw for encrypted data
// unless the operator explicitly opted out, never `-F` unless asked. The planner's steps go in, argv comes out.
import type { Step } from '../core/plan.js';
import { LOCAL_ONLY_PROPERTIES } from '../core/names.js';
import { fullName } from '../core/versions.js';
import { ZfsError } from './errors.js';
import type { Capabilities } from './types.js';

/** The steps that move data (the planner's other steps are rollback and abort, which are not sends). */
export type SendStep = Extract<Step, { kind: 'full' | 'incremental' | 'resume' }>;

export interface SendArgvOptions {
  /** auto: raw exactly for encrypted datasets; always: raw for all; never: decrypted (explicit opt-out). */
  readonly raw: 'auto' | 'always' | 'never';
  readonly compressed: boolean;
  readonly largeBlocks: boolean;
  readonly embedded: boolean;
  /** The source dataset is encrypted (its `encryption` is not `off`). */
  readonly encrypted: boolean;
  /**
   * The receiving host's capabilities: stream flags are used only when both ends support them (a `-c` or `-w`
   * stream cannot be received by an older zfs). Omitted: the sender's alone decide.
   */
  readonly receiver?: Capabilities;
  /**
   * The stream lands in an encrypted dataset (an encrypted replica, or a new one under an encrypted parent): a
   * decrypted stream then goes without -e, whose embedded blocks OpenZFS refuses to receive encrypted
   * ("incompatible embedded data stream feature with encrypted receive"). A raw stream keeps it.
   */
  readonly intoEncrypted?: boolean;
}

const unsupported = (what: string, caps: Capabilities): ZfsError =>
  new ZfsError({
    reason: 'unsupported',
    argv: ['zfs', 'send'],
    host: '',
    exitCode: null,
    stderr: '',
    message: `${what} is not supported by ${caps.implementation} ${caps.version}`,
  });

/** Whether a send of a dataset is raw (-w) under the job's `raw` mode: the one answer for argv, tokens and receives. */
export const sendsRaw = (mode: SendArgvOptions['raw'], encrypted: boolean): boolean => mode === 'always' || (mode === 'auto' && encrypted);

/** `zfs send` for one step. */
export const sendArgv = (caps: Capabilities, step: SendStep, opts: SendArgvOptions): string[] => {
  if (step.kind === 'resume') {
    if (!caps.resume) throw unsupported('resuming a send (zfs send -t)', caps);
    // A resumed stream keeps the flags of the interrupted one (they are in the token); -t accepts no others.
    return ['zfs', 'send', '-t', step.token];
  }
  const raw = sendsRaw(opts.raw, opts.encrypted);
  const rx = opts.receiver ?? caps;
  if (raw && !caps.rawSend) throw unsupported('raw send (zfs send -w)', caps);
  // Never fall back to a decrypted stream because the receiver cannot take a raw one: that needs the operator.
  if (raw && !rx.rawSend) throw unsupported('receiving a raw stream (zfs send -w)', rx);
  const flags: string[] = [];
  if (raw) flags.push('-w');
  if (opts.compressed && caps.compressedSend && rx.compressedSend) flags.push('-c');
  if (opts.largeBlocks && caps.largeBlocks && rx.largeBlocks) flags.push('-L');
  if (opts.embedded && caps.embeddedData && rx.embeddedData && (raw || !opts.intoEncrypted)) flags.push('-e');
  const to = fullName(step.to);
  if (step.kind === 'full') return ['zfs', 'send', ...flags, to];
  if (step.from.kind === 'bookmark') {
    if (!caps.bookmarks) throw unsupported('sending from a bookmark', caps);
    // A bookmark has no data, so only `-i` can start from it.
    return ['zfs', 'send', ...flags, '-i', fullName(step.from), to];
  }
  return ['zfs', 'send', ...flags, step.intermediates ? '-I' : '-i', fullName(step.from), to];
};

export interface RecvArgvOptions {
  /** Keep a resumable state when interrupted (`-s`), where the host supports it. */
  readonly resume: boolean;
  /** `-F`: only when the operator asked for a rollback of the target. */
  readonly force: boolean;
  /** The step creates the target (full stream): it is made read-only so nobody writes into the replica. */
  readonly full: boolean;
}

/** `zfs receive` into `target` (a dataset name). */
export const recvArgv = (caps: Capabilities, target: string, opts: RecvArgvOptions): string[] => {
  const argv = ['zfs', 'receive', '-v'];
  if (opts.resume && caps.resume) argv.push('-s');
  // A replica must not be mounted over something else or be written to by accident; sync mounts nothing.
  if (caps.recvUnmounted) argv.push('-u');
  if (caps.recvProps) {
    for (const p of LOCAL_ONLY_PROPERTIES) argv.push('-x', p);
    if (opts.full) argv.push('-o', 'readonly=on');
  }
  if (opts.force) argv.push('-F');
  argv.push(target);
  return argv;
};

/**
 * Bytes from `zfs receive -v`: one "received 12.3M stream in 1 seconds (12.3M/sec)" line per snapshot of the
 * stream (an `-I` stream carries several), summed; rounded by zfs. null when there is no such line.
 */
export const receivedBytes = (stdout: string): number | null => {
  const mult: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5, E: 1024 ** 6 };
  let total: number | null = null;
  for (const m of stdout.matchAll(/received ([\d.]+)([KMGTPE]?)B? stream in/g)) {
    total = (total ?? 0) + Math.round(Number(m[1]) * (mult[m[2] ?? ''] ?? 1));
  }
  return total;
};

/**
 * The stage right before `zfs receive` that counts the bytes handed to it: GNU dd prints the running total to
 * stderr every second and the final total at end of stream or on a write error. When a host is lost mid-transfer
 * its last line is what reached the receiver (a lower bound by at most a second), where `receive -v` says nothing.
 */
export const METER_ARGV: readonly string[] = ['dd', 'bs=128k', 'status=progress'];

/** The last byte count dd printed ("123 bytes (123 B) copied, ..."; progress lines end in \r), or null. */
export const meteredBytes = (stderr: string): number | null => {
  let last: number | null = null;
  for (const m of stderr.matchAll(/(?:^|[\r\n])(\d+) bytes(?: \([^)]*\))? copied/g)) last = Number(m[1]);
  return last;
};
