// One zfs invocation lists a whole tree (or one dataset) with its snapshots and bookmarks, whatever their number:
// the metadata cost that makes other tools miss a 15-second cycle. Never sorted by zfs (`-s creation` is slow
// pool-wide); versions are sorted by createtxg in memory.
import type { Listing } from '../core/dataset.js';
import { ZfsError } from './errors.js';
import { DATASET_PROPERTIES, REPLICATION_PROPERTIES, ZFS_FUSE_UNKNOWN, parseZfsGet, parseZfsList } from './parse.js';
import type { Capabilities, Runner } from './types.js';

export interface ListOptions {
  /** The whole tree below root (`-r`), or root and its versions only (`-d 1`, children dropped). */
  readonly recursive: boolean;
  /** More properties to read into DatasetInfo.extra (user properties like `com.sun:auto-snapshot`). */
  readonly properties?: readonly string[];
  /** `replication`: only the columns sync and the replication checks read (the rest read as null). */
  readonly columns?: 'all' | 'replication';
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** The argv of the listing call on a host with these capabilities. */
export const listArgv = (
  caps: Capabilities,
  root: string,
  opts: Pick<ListOptions, 'recursive' | 'properties' | 'columns'>,
): { argv: string[]; columns: string[] | null } => {
  const base: readonly string[] = opts.columns === 'replication' ? REPLICATION_PROPERTIES : DATASET_PROPERTIES;
  const extra = (opts.properties ?? []).filter((p) => !['name', 'type', ...base].includes(p));
  const depth = opts.recursive ? ['-r'] : ['-d', '1'];
  if (caps.listParsable) {
    const columns = ['name', 'type', ...base.filter((p) => (caps.written || p !== 'written') && (caps.encryption || p !== 'encryption')), ...extra];
    const types = ['filesystem', 'volume', 'snapshot', ...(caps.bookmarks ? ['bookmark'] : [])].join(',');
    return { argv: ['zfs', 'list', '-H', '-p', '-t', types, '-o', columns.join(','), ...depth, root], columns };
  }
  // zfs-fuse: exact numbers only through `zfs get -p` (its `list` rounds GUIDs to `4.93E`), and only for
  // properties it knows: one unknown name fails the whole call.
  const props = ['type', ...base.filter((p) => !ZFS_FUSE_UNKNOWN.has(p)), ...extra];
  return { argv: ['zfs', 'get', '-H', '-p', '-o', 'name,property,value,source', props.join(','), ...depth, root], columns: null };
};

/** The tree under `root` as one host sees it; a missing root is `{exists: false}`, not an error. */
export const listTree = async (runner: Runner, caps: Capabilities, root: string, opts: ListOptions): Promise<Listing> => {
  const { argv, columns } = listArgv(caps, root, opts);
  let stdout: string;
  try {
    stdout = (await runner.exec(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs })).stdout;
  } catch (e) {
    if (e instanceof ZfsError && e.reason === 'dataset-not-found') {
      return { host: runner.label, root, exists: false, datasets: new Map() };
    }
    throw e;
  }
  const ctx = { host: runner.label, root, recursive: opts.recursive, argv };
  const extra = opts.properties ?? [];
  return columns ? parseZfsList(stdout, columns, ctx, extra) : parseZfsGet(stdout, ctx, extra);
};
