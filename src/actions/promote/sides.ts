// Which job and which two sides a promote/demote/status run is about (a config job and one of its targets, or
// two side specs as `sync` takes them), and each side's tree as the failover decisions see it: the job's
// datasets only (recursive or not, exclusions applied on both sides), keyed by their path below the root.
import { NO_SYNC_FLAGS, type SyncFlags } from '../../config/overrides.js';
import type { LoadedConfig } from '../../config/loaded.js';
import { jobFromCli } from '../../config/cli-job.js';
import { resolveJob } from '../../config/resolve.js';
import { relativeName, type DatasetInfo } from '../../core/dataset.js';
import type { TreeView } from '../../core/failover/tree.js';
import { UsageError } from '../../errors.js';
import type { JobSpec, TargetSpec } from '../../config/job-spec.js';
import { listTree } from '../../zfs/list.js';
import { formatSide, type Side } from '../../zfs/side.js';
import type { Capabilities, Runner } from '../../zfs/types.js';

export interface SideArgs {
  readonly job?: string;
  readonly target?: string;
  readonly recursive?: boolean;
  readonly exclude?: string[];
  readonly sshKey?: string;
  readonly sshPort?: number;
  readonly sshOption?: string[];
  readonly id?: string;
}

export interface Pair {
  readonly job: JobSpec;
  readonly target: TargetSpec;
}

/** `--job NAME [--target ID]`, or SOURCE TARGET given like `zfailover sync` takes them (same ad-hoc job id). */
export const resolvePair = (what: string, args: SideArgs, sides: readonly string[], loaded: LoadedConfig, stateDir: string): Pair => {
  if (args.job !== undefined) {
    if (sides.length > 0) throw new UsageError(`give either --job NAME or the two sides, not both`);
    const job = resolveJob(loaded, args.job, { stateDir, overrides: { sshKey: args.sshKey, sshPort: args.sshPort, sshOption: args.sshOption } });
    return { job, target: pickTarget(job, args.target) };
  }
  if (sides.length !== 2) throw new UsageError(`${what} needs --job NAME, or two sides: ${what === 'demote' ? 'PRIMARY SIDE-TO-DEMOTE' : 'PRIMARY REPLICA'}`);
  if (args.target !== undefined) throw new UsageError('--target only applies with --job');
  const opts: SyncFlags = {
    ...NO_SYNC_FLAGS,
    ...(args.recursive ? { recursive: true } : {}),
    ...(args.exclude ? { exclude: args.exclude } : {}),
    ...(args.sshKey !== undefined ? { sshKey: args.sshKey } : {}),
    ...(args.sshPort !== undefined ? { sshPort: args.sshPort } : {}),
    ...(args.sshOption ? { sshOption: args.sshOption } : {}),
    ...(args.id !== undefined ? { id: args.id } : {}),
  };
  const job = jobFromCli({ source: sides[0], targets: [sides[1]!], opts, config: loaded, stateDir });
  return { job, target: job.targets[0]! };
};

/** The named target, the only one, or the only one on this host. */
const pickTarget = (job: JobSpec, id: string | undefined): TargetSpec => {
  if (id !== undefined) {
    const t = job.targets.find((x) => x.id === id);
    if (!t) throw new UsageError(`job ${job.id} has no target '${id}' (targets: ${job.targets.map((x) => x.id).join(', ')})`);
    return t;
  }
  if (job.targets.length === 1) return job.targets[0]!;
  const local = job.targets.filter((t) => t.side.host === null);
  if (local.length === 1) return local[0]!;
  throw new UsageError(
    `job ${job.id} has ${job.targets.length} targets: choose one with --target (${job.targets.map((x) => `${x.id}=${formatSide(x.side)}`).join(', ')})`,
  );
};

/** Paths below the source root that the job leaves out (and their children). */
const excludedRels = (job: JobSpec): string[] => job.exclude.map((e) => relativeName(job.source.dataset, e)).filter((r): r is string => r !== null && r !== '');

/** One side's tree: the job's datasets, keyed by path below `root` (empty map when the root does not exist). */
export const listSide = async (runner: Runner, caps: Capabilities, job: JobSpec, side: Side, signal: AbortSignal, root = side.dataset): Promise<TreeView> => {
  const listing = await listTree(runner, caps, root, { recursive: job.recursive, signal, properties: ['zfailover:diverged'] });
  const skip = excludedRels(job);
  const datasets = new Map<string, DatasetInfo>();
  for (const d of listing.datasets.values()) {
    const rel = relativeName(root, d.name);
    if (rel === null || (!job.recursive && rel !== '')) continue;
    if (skip.some((x) => rel === x || rel.startsWith(`${x}/`))) continue;
    datasets.set(rel, d);
  }
  return { root, datasets };
};
