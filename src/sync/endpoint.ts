// The sync engine's seam below the cycle (zrepl's endpoint idea): every zfs verb a cycle uses on one side, and
// the transfer between two sides. The real implementation delegates to the zfs adapter (zfs-endpoint.ts); the
// model tests drive runCycle against an in-memory ZFS (test/unit/sync/model/). docs/design.md §4.3.1.
import type { DatasetInfo, Listing } from '../core/dataset.js';
import type { Step } from '../core/plan.js';
import type { Version } from '../core/versions.js';
import type { ResumeTokenInfo } from '../zfs/commands-dataset.js';
import type { Capabilities, HostSpec, SshSettings } from '../zfs/types.js';
import type { JobSpec } from './job.js';

/**
 * One host as the sync sees it. Verbs keep the adapter's contracts: destroying what is gone, holding what is
 * held and releasing what is not held succeed; a missing listing root is `{exists: false}`. `caps` are the
 * capabilities to use for this call (the host's, or narrowed to a pool's features).
 */
export interface SyncEndpoint {
  /** `local` or `user@host:port`, as in reports and logs. */
  readonly label: string;
  /** The host's capabilities (cached per run). */
  capabilities(): Promise<Capabilities>;
  /** The host's capabilities narrowed to what `pool` has enabled. */
  poolCapabilities(caps: Capabilities, pool: string, signal?: AbortSignal): Promise<Capabilities>;
  /** The tree under `root` with the replication columns (GUID, createtxg, written, resume token, role...). */
  /** `properties`: more columns, read into each dataset's `extra`. */
  list(
    caps: Capabilities,
    root: string,
    opts: { readonly recursive: boolean; readonly properties?: readonly string[]; readonly signal?: AbortSignal },
  ): Promise<Listing>;
  exists(dataset: string, signal?: AbortSignal): Promise<boolean>;
  /** Commit pending writes of a pool (`zpool sync`), so `written` sees them. */
  syncPool(pool: string, signal?: AbortSignal): Promise<void>;
  snapshot(caps: Capabilities, fullNames: readonly string[], opts: { readonly recursive: boolean }): Promise<void>;
  /** Exact versions of the named snapshots/bookmarks; missing ones are absent. */
  getVersions(caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, Version>>;
  destroySnapshots(caps: Capabilities, dataset: string, shortNames: readonly string[]): Promise<void>;
  destroySnapshotRecursive(dataset: string, shortName: string): Promise<void>;
  hold(caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void>;
  release(caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void>;
  holds(caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, string[]>>;
  createBookmark(caps: Capabilities, snapshotFull: string, bookmarkFull: string): Promise<void>;
  destroyBookmark(caps: Capabilities, bookmarkFull: string): Promise<void>;
  setProperties(caps: Capabilities, dataset: string, props: Readonly<Record<string, string>>): Promise<void>;
  /** `zfs rollback -r`: back to `fullSnapshot`, destroying newer snapshots. */
  rollback(fullSnapshot: string): Promise<void>;
  /** `zfs recv -A`: drop a partial receive. */
  abortResume(caps: Capabilities, dataset: string): Promise<void>;
  /** What a resume token asks for (decoded by the sending host). */
  resumeTokenInfo(token: string): Promise<ResumeTokenInfo>;
  umount(dataset: string): Promise<void>;
}

/** The two ends of one step's stream. */
export interface TransferEnds {
  readonly source: { readonly endpoint: SyncEndpoint; readonly caps: Capabilities; readonly dataset: DatasetInfo };
  /** `encrypted`: the stream lands in an encrypted dataset (the replica's, or the parent's a full one inherits). */
  readonly target: { readonly endpoint: SyncEndpoint; readonly caps: Capabilities; readonly name: string; readonly encrypted?: boolean };
}

export type SendStep = Step & { kind: 'full' | 'incremental' | 'resume' };

export interface TransferOptions {
  readonly signal: AbortSignal;
  /** The stream's processes are running (their pids go into the job lock). */
  readonly onSpawn: (pids: number[]) => void;
  readonly onProgress?: (bytes: number, elapsedMs: number) => void;
}

/** Where a cycle gets its endpoints, and how a stream goes from one to the other. */
export interface EndpointPool {
  endpoint(host: HostSpec | null, ssh: SshSettings): SyncEndpoint;
  /** Send `step` from source to target; returns the bytes received (null when unknown). Throws the classified error. */
  transfer(job: JobSpec, step: SendStep, ends: TransferEnds, opts: TransferOptions): Promise<{ readonly bytes: number | null }>;
  /** The command line of that transfer, for reports and dry runs. */
  describe(job: JobSpec, step: SendStep, ends: TransferEnds): string;
}
