// A replication job as the engine runs it: fully resolved (defaults applied), from the config or the CLI. Config owns
// it (it is what config resolution produces); the sync engine reads it.
import type { JobFlags } from '../core/operator-command.js';
import type { Side } from '../zfs/side.js';
import type { SshSettings } from '../zfs/types.js';

export interface TargetSpec {
  /** Identifier used in hold tags, cursor bookmarks and state (`isValidId`). */
  readonly id: string;
  readonly side: Side;
  /** Replica-side retention policy (owned by the retention module; opaque to the sync engine). */
  readonly keep?: unknown;
}

export interface SendOptions {
  /** auto: raw (-w) exactly for encrypted datasets; always: raw for all; never: decrypted (explicit opt-out). */
  readonly raw: 'auto' | 'always' | 'never';
  readonly compressed: boolean;
  readonly largeBlocks: boolean;
  readonly embedded: boolean;
}

export interface TransportOptions {
  readonly compress: 'none' | 'zstd' | 'lz4';
  readonly mbuffer: boolean;
  /** mbuffer memory, bytes. */
  readonly mbufferSize: number;
  /** Bytes per second, or null for no limit. */
  readonly bwlimit: number | null;
}

export interface JobSpec {
  readonly id: string;
  /** True for `zfailover sync SOURCE TARGET` without a config job. */
  readonly adhoc: boolean;
  readonly source: Side;
  readonly targets: readonly TargetSpec[];
  readonly recursive: boolean;
  /** Absolute dataset names under the source left out, with their children. */
  readonly exclude: readonly string[];
  readonly syncSnapshot: boolean;
  /** Seconds, or null for none. Monit's `with timeout` must be above it. */
  readonly deadline: number | null;
  readonly initial: 'all' | 'newest';
  readonly resume: boolean;
  readonly bookmarks: boolean;
  readonly holds: boolean;
  readonly rollbackTarget: boolean;
  readonly send: SendOptions;
  readonly transport: TransportOptions;
  readonly ssh: SshSettings;
  /** Dataset transfers at once per target (parents before children); absent = DEFAULT_CONCURRENCY. */
  readonly concurrency?: number;
  /** The flags given on the command line that shaped this job: printed commands repeat them. */
  readonly flags?: JobFlags;
  /**
   * Installation identity in the names this job owns (core/names.ts): the config's `identity:`, else the state
   * dir's (state/installation.ts), filled in by the cycle before anything is named.
   */
  readonly installation?: string;
}

export const DEFAULT_SEND: SendOptions = { raw: 'auto', compressed: true, largeBlocks: true, embedded: true };
export const DEFAULT_TRANSPORT: TransportOptions = { compress: 'none', mbuffer: false, mbufferSize: 16 * 1024 * 1024, bwlimit: null };
