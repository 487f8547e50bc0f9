// The fix lines a failed receive gets from what only the sync knows: how the job reaches the target's host (ssh
// key, port, options) and the replica's encryption root (looked up once the receive failed for its key). Each
// line runs on the target's host, built and quoted by the one builder (operator-command.ts).
import { fixLine } from '../core/operator-command.js';
import type { HostSpec } from '../zfs/types.js';
import { ZfsError } from '../zfs/errors.js';
import { onJobHost } from './invocation.js';
import type { JobSpec } from './job.js';

interface ReceiveFix {
  readonly argv: readonly string[];
  readonly why: string;
}

const isReceive = (argv: readonly string[]): boolean => argv[0] === 'zfs' && /^(receive|recv)$/.test(argv[1] ?? '');

const fixFor = (e: ZfsError, targetName: string, encryptionRoot: string | null): ReceiveFix | null => {
  if (e.reason === 'resume-state-exists')
    return { argv: ['zfs', 'receive', '-A', targetName], why: 'drops the partial receive; otherwise the next run resumes it' };
  // A non-raw stream into an encrypted replica (it inherits its parent's encryption on the target) is encrypted
  // on arrival with the key of the replica's encryption root: while that key is unloaded, zfs refuses with
  // "inherited key must be loaded". Loading it is the whole fix; the source keeps every snapshot meanwhile.
  if (e.reason === 'key-not-loaded' && isReceive(e.argv) && encryptionRoot)
    return {
      argv: ['zfs', 'load-key', encryptionRoot],
      why: `loads the key of ${encryptionRoot}, the replica's encryption root; the next run sends`,
    };
  return null;
};

/** `e` with the fix for the target's host when the sync knows a better one than the adapter's hint, else `e`. */
export const withReceiveFix = (e: ZfsError, job: Pick<JobSpec, 'ssh'>, host: HostSpec | null, targetName: string, encryptionRoot: string | null): ZfsError => {
  const fix = fixFor(e, targetName, encryptionRoot);
  if (!fix) return e;
  return e.withHint(fixLine(onJobHost(job, host, [fix.argv]), fix.why));
};

/** A receive refused for an unloaded key is about the replica's encryption root, which the cycle's listing omits. */
export const needsEncryptionRoot = (e: unknown): boolean => e instanceof ZfsError && e.reason === 'key-not-loaded' && isReceive(e.argv);
