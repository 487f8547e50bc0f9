// Source phase of a cycle: take the sync snapshot where the source changed, then know every source dataset and
// its versions from a constant number of zfs calls (list, snapshot, get), whatever the number of datasets.
import { relativeName, type DatasetInfo, type Listing } from '../core/dataset.js';
import { formatSyncSnapshotName } from '../core/names.js';
import { compareVersions, type Version } from '../core/versions.js';
import { PermanentError } from '../errors.js';
import { ZfsError } from '../zfs/errors.js';
import { formatSide } from '../zfs/side.js';
import type { Capabilities } from '../zfs/types.js';
import type { SyncEndpoint } from './endpoint.js';
import { ownerOf, type JobSpec } from './job.js';

export interface SourceView {
  readonly endpoint: SyncEndpoint;
  readonly caps: Capabilities;
  readonly listing: Listing;
  /** Short name of the sync snapshot taken (or that a dry run would take), null if none. */
  readonly snapshot: string | null;
  /** Datasets that got the sync snapshot. */
  readonly snapshotted: readonly string[];
}

const excluded = (name: string, exclude: readonly string[]): boolean => exclude.some((e) => name === e || name.startsWith(`${e}/`));

/** Datasets of the listing that the job replicates (root, and the tree when recursive, minus exclusions). */
export const jobDatasets = (job: JobSpec, listing: Listing): DatasetInfo[] =>
  [...listing.datasets.values()].filter((d) => {
    const rel = relativeName(listing.root, d.name);
    return rel !== null && (job.recursive || rel === '') && !excluded(d.name, job.exclude);
  });

/** Does this dataset need a new snapshot? Unknown `written` (zfs-fuse) or no snapshot at all: yes. */
const changed = (d: DatasetInfo): boolean => d.written === null || d.written > 0 || !d.versions.some((v) => v.kind === 'snapshot');

export const prepareSource = async (
  job: JobSpec,
  endpoint: SyncEndpoint,
  caps: Capabilities,
  opts: { readonly now: number; readonly dryRun: boolean; readonly signal: AbortSignal },
): Promise<SourceView> => {
  const root = job.source.dataset;
  const owner = ownerOf(job);
  const name = formatSyncSnapshotName(owner.job, owner.installation, opts.now);
  const list = () => endpoint.list(caps, root, { recursive: job.recursive });
  const missing = () => new PermanentError(`source ${formatSide(job.source)} does not exist`, { hint: 'check the job source, or the host it runs on' });

  if (!job.syncSnapshot) {
    const listing = await list();
    if (!listing.exists) throw missing();
    return { endpoint, caps, listing, snapshot: null, snapshotted: [] };
  }

  // `written` counts only data already in a committed txg: a write of the last few seconds would read as
  // "unchanged" and wait a whole cycle. `zpool sync` commits it first (one call per cycle, whatever the tree).
  if (caps.written && !opts.dryRun) {
    await endpoint.syncPool(root.split('/')[0]!, opts.signal).catch((e: unknown) => {
      if (e instanceof ZfsError && e.reason === 'dataset-not-found') throw missing();
      throw e;
    });
  }
  let listing = await list();
  if (!listing.exists) throw missing();
  // A replica is never snapshotted by sync: its own snapshot would make its incoming replication `target-newer`.
  // A replica as source (cascade, or the old direction after a switchover) sends what it received.
  if (listing.datasets.get(root)?.role === 'replica') return { endpoint, caps, listing, snapshot: null, snapshotted: [] };
  const included = jobDatasets(job, listing);
  const due = included.filter(changed);
  if (due.length === 0) return { endpoint, caps, listing, snapshot: null, snapshotted: [] };
  const fullNames = due.map((d) => `${d.name}@${name}`);
  if (opts.dryRun) {
    listing = withVersions(
      listing,
      due.map((d) => virtualSnapshot(d, name)),
    );
  } else {
    // One call, atomic across the tree: several names where the host takes them (OpenZFS); `-r` on the root
    // where the whole tree is due and nothing is excluded (zfs-fuse); else one by one.
    const wholeTree = !caps.multiSnapshot && job.exclude.length === 0 && due.length === included.length && (job.recursive || due.length === 1);
    await endpoint.snapshot(caps, wholeTree ? [`${root}@${name}`] : fullNames, { recursive: wholeTree && job.recursive });
    listing = withVersions(listing, [...(await endpoint.getVersions(caps, fullNames)).values()]);
  }
  return { endpoint, caps, listing, snapshot: name, snapshotted: due.map((d) => d.name) };
};

/** A snapshot a dry run would take: newest by txg, with a placeholder GUID no real snapshot has. */
const virtualSnapshot = (d: DatasetInfo, name: string): Version => ({
  kind: 'snapshot',
  dataset: d.name,
  name,
  guid: `(new)${d.name}`,
  createtxg: d.versions.reduce((m, v) => Math.max(m, v.createtxg), d.createtxg) + 1,
  creation: 0,
});

/** The listing with extra versions merged into their datasets (kept sorted). */
export const withVersions = (listing: Listing, extra: readonly Version[]): Listing => {
  const datasets = new Map(listing.datasets);
  for (const v of extra) {
    const d = datasets.get(v.dataset);
    if (!d) continue;
    datasets.set(v.dataset, { ...d, versions: [...d.versions.filter((x) => x.guid !== v.guid), v].sort(compareVersions), written: 0 });
  }
  return { ...listing, datasets };
};
