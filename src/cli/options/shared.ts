// Option declarations several commands share word for word (the ssh flags of an ad-hoc side, --now).
import type { OptionSpec } from './spec.js';
import { isoTimeValue, portValue } from './values.js';

export const SSH_KEY: OptionSpec = { flags: '--ssh-key <file>', description: 'ssh identity file', example: 'id_ed25519' };
export const SSH_PORT: OptionSpec = { flags: '--ssh-port <port>', description: 'ssh port when the side gives none', parse: portValue, example: '2222' };
export const SSH_OPTION: OptionSpec = {
  flags: '--ssh-option <opt>',
  description: 'extra ssh -o option, e.g. UserKnownHostsFile=FILE; repeatable',
  repeatable: true,
  example: 'BatchMode=yes',
};
/** The ssh flags of a side given as [user@]host[:port]:pool/ds (sync, and the checks that take sync's sides). */
export const SSH_SIDE: readonly OptionSpec[] = [SSH_KEY, SSH_PORT, SSH_OPTION];

/**
 * `--now <ISO time>` of snapshot, prune and check gaps: run as if the clock said so, to see what retention does
 * at a given time (docs/parts/retention.md). Shown in --help because operators use it.
 */
export const NOW: OptionSpec = {
  flags: '--now <time>',
  description: 'reason about retention as if the clock showed this ISO time, e.g. 2026-11-26T04:30:00Z',
  parse: isoTimeValue,
  example: '2026-11-26T04:30:00Z',
};
