// What one target's phase of a cycle is given (its context) and gives back (its outcome): types shared by the
// target phase, the per-pair sync, the cursor moves and the cleanup, in a module of their own so none of them
// imports another's implementation for a type.
import type { Logger } from 'pino';
import type { Listing } from '../core/dataset.js';
import type { Version } from '../core/versions.js';
import type { Capabilities } from '../zfs/types.js';
import type { EndpointPool, SyncEndpoint } from './endpoint.js';
import type { JobCommands } from './invocation.js';
import type { JobSpec, TargetSpec } from './job.js';
import type { PhaseHook } from './phases.js';
import type { PoolCapsCache } from './pool-caps.js';
import type { TargetReport } from './report.js';
import type { SourceView } from './source.js';

export interface TargetContext {
  readonly job: JobSpec;
  readonly target: TargetSpec;
  readonly source: SourceView;
  /** The target's endpoint, and the pool that moves streams between endpoints. */
  readonly endpoint: SyncEndpoint;
  readonly endpoints: EndpointPool;
  readonly caps: Capabilities;
  readonly now: number;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly onSpawn: (pids: number[]) => void;
  readonly commands: JobCommands;
  readonly progress?: (line: string) => void;
  /** Fault-injection seam (sync/phases.ts); absent in production. */
  readonly phase?: PhaseHook;
  /** Pool-narrowed capabilities, shared by the cycle's targets (sync/pool-caps.ts). */
  readonly pools: PoolCapsCache;
  /**
   * Records durably, before a transfer starts, which snapshots it may leave on the target (dataset path
   * relative to the root): the write-ahead record cleanup reads back (sync/job-state.ts). Throws: no transfer.
   */
  readonly writeAhead?: (rel: string, snapshots: readonly { name: string; guid: string }[]) => Promise<void>;
}

/** What the source-side cleanup needs to know about this target, per dataset (relative name). */
export interface TargetOutcome {
  readonly report: TargetReport;
  /** rel -> target versions after this cycle, or null when the target could not be listed. */
  readonly versions: ReadonlyMap<string, readonly Version[]> | null;
  /** rel -> GUID of the newest common version after this cycle. */
  readonly commons: ReadonlyMap<string, string>;
  /** Source snapshots (full names) that got this target's hold, and that lost it, this cycle. */
  readonly sourceHolds?: { readonly held: readonly string[]; readonly released: readonly string[] };
  /** The target's listing at the start of this cycle (every dataset under its root), when it could be listed. */
  readonly listing?: Listing;
  /** rel of pairs whose transfer failed with an unreadable result: cleanup treats them like an unlisted target. */
  readonly unsure?: ReadonlySet<string>;
}
