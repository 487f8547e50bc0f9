// The real sync endpoint: each verb delegates to the zfs adapter on the host's Runner (local or ssh), and a
// transfer is the kernel-pipe pipeline of transfer.ts between two such endpoints.
import type { Listing } from '../core/dataset.js';
import type { Version } from '../core/versions.js';
import { InternalError } from '../errors.js';
import { createBookmark, destroyBookmark, destroySnapshotRecursive, destroySnapshots, getVersions, hold, holds, release, snapshot } from '../zfs/commands.js';
import { abortResume, datasetExists, resumeTokenInfo, rollback, setProperties, umount, type ResumeTokenInfo } from '../zfs/commands-dataset.js';
import { listTree } from '../zfs/list.js';
import { poolCapabilities } from '../zfs/pool-features.js';
import type { Capabilities, Runner } from '../zfs/types.js';
import type { SendStep, SyncEndpoint, TransferEnds, TransferOptions } from './endpoint.js';
import type { JobSpec } from './job.js';
import { describeProcesses, runTransfer, stepProcesses, type TransferSides } from './transfer.js';

export class ZfsEndpoint implements SyncEndpoint {
  constructor(
    readonly runner: Runner,
    private readonly caps: () => Promise<Capabilities>,
  ) {}

  get label(): string {
    return this.runner.label;
  }

  capabilities(): Promise<Capabilities> {
    return this.caps();
  }

  poolCapabilities(caps: Capabilities, pool: string, signal?: AbortSignal): Promise<Capabilities> {
    return poolCapabilities(this.runner, caps, pool, signal);
  }

  list(
    caps: Capabilities,
    root: string,
    opts: { readonly recursive: boolean; readonly properties?: readonly string[]; readonly signal?: AbortSignal },
  ): Promise<Listing> {
    return listTree(this.runner, caps, root, {
      recursive: opts.recursive,
      columns: 'replication',
      ...(opts.properties ? { properties: opts.properties } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  exists(dataset: string, signal?: AbortSignal): Promise<boolean> {
    return datasetExists(this.runner, dataset, signal ? { signal } : {});
  }

  async syncPool(pool: string, signal?: AbortSignal): Promise<void> {
    await this.runner.exec(['zpool', 'sync', pool], signal ? { signal } : {});
  }

  snapshot(caps: Capabilities, fullNames: readonly string[], opts: { readonly recursive: boolean }): Promise<void> {
    return snapshot(this.runner, caps, fullNames, opts);
  }

  getVersions(caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, Version>> {
    return getVersions(this.runner, caps, fullNames);
  }

  destroySnapshots(caps: Capabilities, dataset: string, shortNames: readonly string[]): Promise<void> {
    return destroySnapshots(this.runner, caps, dataset, shortNames);
  }

  destroySnapshotRecursive(dataset: string, shortName: string): Promise<void> {
    return destroySnapshotRecursive(this.runner, dataset, shortName);
  }

  hold(caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void> {
    return hold(this.runner, caps, tag, fullNames);
  }

  release(caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void> {
    return release(this.runner, caps, tag, fullNames);
  }

  holds(caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, string[]>> {
    return holds(this.runner, caps, fullNames);
  }

  createBookmark(caps: Capabilities, snapshotFull: string, bookmarkFull: string): Promise<void> {
    return createBookmark(this.runner, caps, snapshotFull, bookmarkFull);
  }

  destroyBookmark(caps: Capabilities, bookmarkFull: string): Promise<void> {
    return destroyBookmark(this.runner, caps, bookmarkFull);
  }

  setProperties(caps: Capabilities, dataset: string, props: Readonly<Record<string, string>>): Promise<void> {
    return setProperties(this.runner, dataset, props, caps);
  }

  rollback(fullSnapshot: string): Promise<void> {
    return rollback(this.runner, fullSnapshot, { destroyNewer: true });
  }

  abortResume(caps: Capabilities, dataset: string): Promise<void> {
    return abortResume(this.runner, caps, dataset);
  }

  resumeTokenInfo(token: string): Promise<ResumeTokenInfo> {
    return resumeTokenInfo(this.runner, token);
  }

  umount(dataset: string): Promise<void> {
    return umount(this.runner, dataset);
  }
}

const runnerOf = (e: SyncEndpoint): Runner => {
  if (e instanceof ZfsEndpoint) return e.runner;
  throw new InternalError(`a zfs transfer needs zfs endpoints at both ends, got ${e.label}`);
};

const sidesOf = (ends: TransferEnds): TransferSides => ({
  source: { runner: runnerOf(ends.source.endpoint), caps: ends.source.caps, dataset: ends.source.dataset },
  target: { runner: runnerOf(ends.target.endpoint), caps: ends.target.caps, name: ends.target.name, encrypted: ends.target.encrypted ?? false },
});

/** send [| ...] | recv between two zfs endpoints, joined by kernel pipes. */
export const zfsTransfer = async (job: JobSpec, step: SendStep, ends: TransferEnds, opts: TransferOptions): Promise<{ bytes: number | null }> => {
  const r = await runTransfer(stepProcesses(job, step, sidesOf(ends)), {
    signal: opts.signal,
    onSpawn: opts.onSpawn,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return { bytes: r.bytes };
};

export const describeZfsTransfer = (job: JobSpec, step: SendStep, ends: TransferEnds): string => describeProcesses(stepProcesses(job, step, sidesOf(ends)));
