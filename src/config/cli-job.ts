// `zfailover sync SOURCE TARGET...` without a config job: the job is built from the arguments, with ssh
// settings from the config (if any) and every other default built in. Its id is derived from the sides, so
// repeated runs of the same command share one lock, one state file and one set of sync snapshots.
import { createHash } from 'node:crypto';
import type { SyncFlags } from './overrides.js';
import { isValidId } from '../core/names.js';
import { UsageError } from '../errors.js';
import type { JobSpec } from './job-spec.js';
import { DEFAULT_SEND, DEFAULT_TRANSPORT } from './job-spec.js';
import { datasetNameProblem, formatSide, parseSide, type Side } from '../zfs/side.js';
import { jobProblems } from './job-checks.js';
import type { LoadedConfig } from './loaded.js';
import { formatKeyPath } from './problems.js';
import { applyOverrides, JOB_DEFAULTS, resolveSsh } from './resolve.js';
import { ID_RULE } from './schema/common.js';

export interface CliJobInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: SyncFlags;
  /** Only its `ssh:` section is used. */
  readonly config?: LoadedConfig | null;
  readonly stateDir: string;
}

/**
 * `adhoc-` + 8 hex digits of sha256 over the normalised sides (source, then targets in order). The order of
 * targets matters because target ids (t1, t2, ...) are positional and appear in hold tags and bookmarks.
 */
export const adhocJobId = (source: Side, targets: readonly Side[]): string =>
  `adhoc-${createHash('sha256')
    .update([source, ...targets].map(formatSide).join('\0'))
    .digest('hex')
    .slice(0, 8)}`;

export const jobFromCli = (input: CliJobInput): JobSpec => {
  const { opts } = input;
  if (input.source === undefined || input.source === '') throw new UsageError('sync needs SOURCE and TARGET (or --job NAME / --all)');
  if (input.targets.length === 0) throw new UsageError('sync needs at least one TARGET after SOURCE');
  const source = parseSide(input.source, 'source');
  const targets = input.targets.map((t) => parseSide(t, 'target'));
  if (opts.id !== undefined && !isValidId(opts.id)) throw new UsageError(`invalid --id '${opts.id}': use ${ID_RULE}`);
  for (const ds of opts.exclude ?? []) {
    const problem = datasetNameProblem(ds);
    if (problem) throw new UsageError(`invalid --exclude '${ds}': ${problem}`);
  }
  const recursive = opts.recursive ?? JOB_DEFAULTS.recursive;
  const exclude = opts.exclude ?? [];
  const shape = { source, targets: targets.map((side, i) => ({ id: `t${i + 1}`, side, named: false })), recursive, exclude };
  const [problem] = jobProblems(shape, opts.sshPort ?? input.config?.data.ssh?.port ?? 22);
  if (problem) throw new UsageError(`${cliWhere(problem.path)}${problem.message}`);
  const job: JobSpec = {
    id: opts.id ?? adhocJobId(source, targets),
    adhoc: true,
    source,
    targets: shape.targets.map(({ id, side }) => ({ id, side })),
    ...JOB_DEFAULTS,
    recursive,
    exclude,
    send: DEFAULT_SEND,
    transport: DEFAULT_TRANSPORT,
    ssh: resolveSsh(input.config, input.stateDir, opts),
    ...(input.config?.data.identity !== undefined ? { installation: input.config.data.identity } : {}),
  };
  return applyOverrides(job, opts);
};

/** `targets[1].dataset` reads as "TARGET 2" on the command line. */
const cliWhere = (path: readonly (string | number)[]): string => {
  if (path[0] === 'targets' && typeof path[1] === 'number') return `TARGET ${path[1] + 1}: `;
  if (path[0] === 'exclude') return '--exclude: ';
  return path.length ? `${formatKeyPath(path)}: ` : '';
};
