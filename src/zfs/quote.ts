// POSIX sh quoting and the one function that builds the remote command ssh runs: everything a remote host
// executes is made here from argument arrays, so no input ever reaches a shell unquoted.

/**
 * Constant preamble of every remote command. zfs/zpool live in /usr/sbin or /sbin, which a non-root login (or a
 * forced-command wrapper) often lacks; appending keeps a site's own PATH (and a test shim) first. LC_ALL=C keeps
 * zfs's messages in English: the failure classifier matches them.
 */
export const REMOTE_PREAMBLE = 'PATH="$PATH:/usr/sbin:/sbin"; LC_ALL=C; export PATH LC_ALL; ';

/** Marker a non-final remote stage prints to stderr when it fails: sh reports only the last stage's status. */
export const STAGE_FAILED_MARKER = 'zfailover-remote-stage-failed';

// The quoting itself lives with the builder of printed commands (core/operator-command.ts): one function.
import { quoteArg } from '../core/operator-command.js';

export { quoteArg };

const quoteStage = (argv: readonly string[]): string => {
  if (argv.length === 0) throw new RangeError('empty pipeline stage');
  return argv.map(quoteArg).join(' ');
};

/**
 * `a | b | c` as one sh command line, after the constant preamble. Each non-final stage is wrapped so that its
 * failure is reported on stderr with the stage number (a plain sh pipeline loses it): the pipeline runner turns
 * that marker into a failure of the ssh stage even when the last stage exited 0.
 */
export const remoteCommand = (pipeline: readonly (readonly string[])[]): string => {
  if (pipeline.length === 0) throw new RangeError('empty pipeline');
  const last = pipeline.length - 1;
  const stages = pipeline.map((argv, i) => (i === last ? quoteStage(argv) : `{ ${quoteStage(argv)} || echo "${STAGE_FAILED_MARKER} ${i} $?" >&2; }`));
  return REMOTE_PREAMBLE + stages.join(' | ') + REMOTE_EXIT;
};

/**
 * Constant ending: ssh exits 255 for its own failures (and silently when a multiplexed session loses its
 * connection), so the remote command never does: a 255 of its own (zfs-fuse's "internal error") becomes 254.
 * Any 255 the runner sees is then ssh's, which is how a cut mid-stream is told from a failing zfs.
 */
export const REMOTE_EXIT = '; s=$?; [ "$s" -ne 255 ] || s=254; exit "$s"';

/** Parse the failure markers out of a remote pipeline's stderr: stage index -> exit status. */
export const remoteStageFailures = (stderr: string): Map<number, number> => {
  const out = new Map<number, number>();
  for (const m of stderr.matchAll(new RegExp(`^${STAGE_FAILED_MARKER} (\\d+) (\\d+)$`, 'gm'))) {
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
};
