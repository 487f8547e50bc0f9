// Builders for check evaluation tests: DatasetInfo, listings and probe results without any zfs.
import type { DatasetInfo, Listing } from '../../../src/core/dataset.js';
import type { Version } from '../../../src/core/versions.js';
import type { JobProbe, ProbedPair, TargetProbe } from '../../../src/checks/replication-probe.js';
import type { JobSpec } from '../../../src/config/job-spec.js';
import { DEFAULT_SEND, DEFAULT_TRANSPORT } from '../../../src/config/job-spec.js';
import { parseSide } from '../../../src/zfs/side.js';

export const ds = (name: string, versions: Version[], extra: Partial<DatasetInfo> = {}): DatasetInfo => ({
  name,
  type: 'filesystem',
  guid: `guid-${name}`,
  createtxg: 1,
  creation: 0,
  versions,
  written: 0,
  resumeToken: null,
  readonly: null,
  role: null,
  roleSource: 'none',
  epoch: null,
  encryption: null,
  encryptionRoot: null,
  keyStatus: null,
  mountpoint: null,
  canmount: null,
  mounted: null,
  origin: null,
  used: null,
  available: null,
  referenced: null,
  extra: {},
  ...extra,
});

export const listing = (root: string, datasets: DatasetInfo[], host = 'local'): Listing => ({
  host,
  root,
  exists: datasets.some((d) => d.name === root),
  datasets: new Map(datasets.map((d) => [d.name, d])),
});

export const job = (source: string, targets: string[], extra: Partial<JobSpec> = {}): JobSpec => ({
  id: 'j1',
  adhoc: false,
  source: parseSide(source),
  targets: targets.map((t, i) => ({ id: `t${i + 1}`, side: parseSide(t) })),
  recursive: false,
  exclude: [],
  syncSnapshot: true,
  deadline: null,
  initial: 'all',
  resume: true,
  bookmarks: true,
  holds: true,
  rollbackTarget: false,
  send: DEFAULT_SEND,
  transport: DEFAULT_TRANSPORT,
  ssh: { options: [], controlDir: '/tmp/x', controlPersist: 60, connectTimeout: 10 },
  ...extra,
});

/** A probe where every source dataset is paired with the target dataset of the same relative name. */
export const probe = (j: JobSpec, source: DatasetInfo[] | Error, targets: (DatasetInfo[] | Error)[], pending: (number | null)[] = []): JobProbe => {
  const srcListing = source instanceof Error ? null : listing(j.source.dataset, source);
  const tps: TargetProbe[] = j.targets.map((t, i) => {
    const tv = targets[i]!;
    const label = t.side.host ? `${t.side.host.host}:${t.side.dataset}` : t.side.dataset;
    if (tv instanceof Error) return { target: t, label, listing: null, error: tv, pairs: [] };
    const tl = listing(t.side.dataset, tv);
    if (!srcListing) return { target: t, label, listing: tl, error: null, pairs: [] };
    const pairs: ProbedPair[] = [...srcListing.datasets.values()].map((s, k) => {
      const rel = s.name === j.source.dataset ? '' : s.name.slice(j.source.dataset.length + 1);
      const targetName = rel === '' ? t.side.dataset : `${t.side.dataset}/${rel}`;
      return { rel, source: s, targetName, target: tl.datasets.get(targetName) ?? null, resumeToGuid: null, pending: pending[k] ?? null };
    });
    return { target: t, label, listing: tl, error: null, pairs };
  });
  return { job: j, source: srcListing, sourceError: source instanceof Error ? source : null, targets: tps };
};
