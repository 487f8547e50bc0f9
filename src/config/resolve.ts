// From a loaded config (and CLI overrides) to what the engine runs: JobSpec with every default applied,
// the state directory, the ssh settings. Precedence everywhere: CLI flag > config file > built-in default.
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { JobOverrides } from './overrides.js';
import { DEFAULT_STATE_DIR } from './paths.js';
import type { JobFlags } from '../core/operator-command.js';
import { UsageError } from '../errors.js';
import { DEFAULT_SEND, DEFAULT_TRANSPORT, type JobSpec } from './job-spec.js';
import type { SshSettings } from '../zfs/types.js';
import { ConfigFileError } from './problems.js';
import type { LoadedConfig } from './loaded.js';
import { sshOptionProblem, sshOptionsProblem } from './ssh-options.js';
import { verifyStateDir } from '../state/trust.js';

/** Built-in defaults of a job, for what neither the config nor the CLI sets. */
export const JOB_DEFAULTS = {
  recursive: false,
  syncSnapshot: true,
  // No deadline by default: without resumable receives (zfs-fuse) a deadline would restart an initial
  // full send from zero every cycle and it would never finish.
  deadline: null,
  initial: 'all',
  resume: true,
  bookmarks: true,
  holds: true,
  rollbackTarget: false,
} as const;

export const SSH_DEFAULTS = { controlPersist: 60, connectTimeout: 10 } as const;

export type { JobOverrides };

export interface ResolveOptions {
  readonly stateDir: string;
  readonly overrides?: JobOverrides;
}

/** `--state-dir` > config `state_dir` > /var/lib/zfailover. A relative `--state-dir` is taken from `cwd`. */
export const resolveStateDir = (cli: string | undefined, loaded: LoadedConfig | null | undefined, cwd = process.cwd()): string => {
  // An empty --state-dir (an unset shell variable) is a mistake, not a request for the default.
  if (cli === '') throw new UsageError('--state-dir: empty path (leave the option out for the default)');
  const dir = cli !== undefined ? (isAbsolute(cli) ? cli : resolvePath(cwd, cli)) : (loaded?.data.state_dir ?? DEFAULT_STATE_DIR);
  // Every command finds its state dir here: one another user can write is refused before anything is read.
  verifyStateDir(dir);
  return dir;
};

/** Names of the jobs in the config, in file order. */
export const jobNames = (loaded: LoadedConfig): string[] => Object.keys(loaded.data.jobs ?? {});

export const resolveJob = (loaded: LoadedConfig, name: string, opts: ResolveOptions): JobSpec => {
  const job = loaded.data.jobs?.[name];
  if (!job || !Object.hasOwn(loaded.data.jobs ?? {}, name)) {
    const known = jobNames(loaded);
    const why =
      loaded.path === null ? 'there is no config file (use --config FILE)' : known.length ? `known jobs: ${known.join(', ')}` : 'the config defines no jobs';
    throw new ConfigFileError(loaded.path, [{ line: null, path: null, message: `no job '${name}': ${why}` }]);
  }
  const o = opts.overrides ?? {};
  const defining = [o.recursive && '-r', o.exclude?.length && '--exclude', o.id !== undefined && '--id'].filter(Boolean);
  if (defining.length > 0) {
    throw new UsageError(`${defining.join(', ')} only apply to ad-hoc runs; set recursive/exclude in job '${name}' of the config`);
  }
  const base: JobSpec = {
    id: name,
    adhoc: false,
    source: job.source,
    targets: job.targets.map((t, i) => ({ id: t.name ?? `t${i + 1}`, side: t.dataset, ...(t.keep !== undefined ? { keep: t.keep } : {}) })),
    recursive: job.recursive ?? JOB_DEFAULTS.recursive,
    exclude: job.exclude ?? [],
    syncSnapshot: job.sync_snapshot ?? JOB_DEFAULTS.syncSnapshot,
    deadline: job.deadline !== undefined ? job.deadline : JOB_DEFAULTS.deadline,
    initial: job.initial ?? JOB_DEFAULTS.initial,
    resume: job.resume ?? JOB_DEFAULTS.resume,
    bookmarks: job.bookmarks ?? JOB_DEFAULTS.bookmarks,
    holds: job.holds ?? JOB_DEFAULTS.holds,
    rollbackTarget: job.rollback_target ?? JOB_DEFAULTS.rollbackTarget,
    send: {
      raw: job.send?.raw ?? DEFAULT_SEND.raw,
      compressed: job.send?.compressed ?? DEFAULT_SEND.compressed,
      largeBlocks: job.send?.large_blocks ?? DEFAULT_SEND.largeBlocks,
      embedded: job.send?.embedded ?? DEFAULT_SEND.embedded,
    },
    transport: {
      compress: job.transport?.compress ?? DEFAULT_TRANSPORT.compress,
      mbuffer: job.transport?.mbuffer ?? DEFAULT_TRANSPORT.mbuffer,
      mbufferSize: job.transport?.mbuffer_size ?? DEFAULT_TRANSPORT.mbufferSize,
      bwlimit: job.transport?.bwlimit !== undefined ? job.transport.bwlimit : DEFAULT_TRANSPORT.bwlimit,
    },
    ssh: resolveSsh(loaded, opts.stateDir, o),
    ...(loaded.data.identity !== undefined ? { installation: loaded.data.identity } : {}),
    ...(job.concurrency !== undefined ? { concurrency: job.concurrency } : {}),
  };
  return applyOverrides(base, o);
};

export const resolveAllJobs = (loaded: LoadedConfig, opts: ResolveOptions): JobSpec[] => jobNames(loaded).map((name) => resolveJob(loaded, name, opts));

/**
 * ssh settings: config `ssh:` with `--ssh-key`/`--ssh-port` replacing and `--ssh-option` placed first
 * (ssh keeps the first value it sees for an option, so CLI options win over the config's).
 */
export const resolveSsh = (loaded: LoadedConfig | null | undefined, stateDir: string, o: JobOverrides = {}): SshSettings => {
  const c = loaded?.data.ssh ?? {};
  for (const opt of o.sshOption ?? []) {
    const problem = sshOptionProblem(opt);
    if (problem) throw new UsageError(`--ssh-option: ${problem}`);
  }
  const combined = sshOptionsProblem([...(o.sshOption ?? []), ...(c.options ?? [])]);
  if (combined) {
    if (o.sshOption?.length || !loaded) throw new UsageError(`--ssh-option: ${combined}`);
    throw loaded.error(['ssh', 'options'], combined);
  }
  const key = o.sshKey ?? c.key;
  const port = o.sshPort ?? c.port;
  return {
    ...(key !== undefined ? { key } : {}),
    ...(port !== undefined ? { port } : {}),
    options: [...(o.sshOption ?? []), ...(c.options ?? [])],
    controlDir: join(stateDir, 'ssh'),
    controlPersist: c.control_persist ?? SSH_DEFAULTS.controlPersist,
    connectTimeout: c.connect_timeout ?? SSH_DEFAULTS.connectTimeout,
  };
};

const COMPRESS = ['none', 'zstd', 'lz4'] as const;
const INITIAL = ['all', 'newest'] as const;

/**
 * Flags that adjust a run. commander gives `--no-x` flags a default of true, so only `false` means the
 * operator said something; `raw` is undefined unless `--raw` or `--no-raw` was given.
 */
export const applyOverrides = (job: JobSpec, o: JobOverrides): JobSpec => {
  if (o.compress !== undefined && !(COMPRESS as readonly string[]).includes(o.compress)) {
    throw new UsageError(`--compress: expected one of ${COMPRESS.join(', ')}, got '${o.compress}'`);
  }
  if (o.initial !== undefined && !(INITIAL as readonly string[]).includes(o.initial)) {
    throw new UsageError(`--initial: expected one of ${INITIAL.join(', ')}, got '${o.initial}'`);
  }
  if (o.deadline !== undefined && !(o.deadline > 0)) throw new UsageError('--deadline: must be above 0');
  return {
    ...job,
    flags: givenFlags(o),
    syncSnapshot: o.syncSnap === false ? false : job.syncSnapshot,
    deadline: o.deadline ?? job.deadline,
    initial: (o.initial as JobSpec['initial'] | undefined) ?? job.initial,
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    resume: o.resume === false ? false : job.resume,
    bookmarks: o.bookmarks === false ? false : job.bookmarks,
    holds: o.holds === false ? false : job.holds,
    rollbackTarget: o.rollbackTarget === true ? true : job.rollbackTarget,
    send: { ...job.send, raw: o.raw === true ? 'always' : o.raw === false ? 'never' : job.send.raw },
    transport: {
      ...job.transport,
      compress: (o.compress as JobSpec['transport']['compress'] | undefined) ?? job.transport.compress,
      mbuffer: o.mbuffer === true ? true : job.transport.mbuffer,
      bwlimit: o.bwlimit ?? job.transport.bwlimit,
    },
  };
};

/** What the operator typed (commander's defaults of `--no-x` flags left out), for printed commands to repeat. */
const givenFlags = (o: JobOverrides): JobFlags => ({
  ...(o.recursive ? { recursive: true } : {}),
  ...(o.exclude?.length ? { exclude: [...o.exclude] } : {}),
  ...(o.id !== undefined ? { id: o.id } : {}),
  ...(o.sshKey !== undefined ? { sshKey: o.sshKey } : {}),
  ...(o.sshPort !== undefined ? { sshPort: o.sshPort } : {}),
  ...(o.sshOption?.length ? { sshOption: [...o.sshOption] } : {}),
  ...(o.syncSnap === false ? { syncSnap: false } : {}),
  ...(o.resume === false ? { resume: false } : {}),
  ...(o.bookmarks === false ? { bookmarks: false } : {}),
  ...(o.holds === false ? { holds: false } : {}),
  ...(o.raw !== undefined ? { raw: o.raw } : {}),
  ...(o.compress !== undefined ? { compress: o.compress } : {}),
  ...(o.mbuffer ? { mbuffer: true } : {}),
  ...(o.bwlimit !== undefined ? { bwlimit: o.bwlimit } : {}),
  ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  ...(o.initial !== undefined ? { initial: o.initial } : {}),
  ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
});
