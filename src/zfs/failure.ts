// One classifier for a failed command, run locally or over ssh, in a pipeline or alone: ssh's own failures
// (unreachable, refused, name, lost mid-stream, host key, auth, config) first, then zfs's messages. The table in
// docs/design.md §2 lists every cause with its state; test/unit/zfs/failure-table.test.ts holds both to it.
import { HostKeyError, HostUnreachableError, type ZfoError } from '../errors.js';
import { classifySshFailure } from './classify.js';
import { SshAuthError, SshError } from './errors.js';
import { zfsErrorFor } from './exec-result.js';

/**
 * An ssh failure (exit 255 with one of ssh's own messages, or a silent 255: the connection was lost) as our
 * error, or null when it is not ssh's. `during` names what ran (`zfs send`), so the line says which side died.
 */
export const sshFailureError = (host: string, stderr: string, exitCode?: number | null, during?: string): ZfoError | null => {
  const f = classifySshFailure(stderr, exitCode);
  if (!f) return null;
  switch (f.kind) {
    case 'unreachable':
      return new HostUnreachableError(host, during && f.cause === 'connection-lost' ? `${f.detail} during ${during}` : f.detail);
    case 'host-key':
      return new HostKeyError(host);
    case 'auth':
      return new SshAuthError(host, f.detail);
    case 'other':
      return new SshError(host, f.detail);
  }
};

export interface StageFailure {
  /** The zfs command the stage ran (`['zfs', 'send', ...]`), for the message and the busy/recv distinction. */
  readonly argv: readonly string[];
  /** `local`, or the ssh host label (`user@host:port`). */
  readonly host: string;
  readonly viaSsh: boolean;
  readonly exitCode: number | null;
  readonly stderr: string;
}

/** The error of one failed stage or command: ssh's own failure when ssh says so (exit 255), else zfs's. */
export const stageFailureError = (f: StageFailure): ZfoError => {
  if (f.viaSsh && f.exitCode === 255) {
    const e = sshFailureError(f.host, f.stderr, 255, f.argv.slice(0, 2).join(' '));
    if (e) return e;
  }
  return zfsErrorFor(f.argv, f.host, { exitCode: f.viaSsh && f.exitCode === 0 ? 1 : f.exitCode, stderr: f.stderr });
};
