// Loading the config file: read (with its owner and mode), parse YAML, validate with zod, check across fields.
// Every problem becomes `config error: FILE:LINE: key.path: message` (ConfigFileError, exit 3 UNKNOWN).
import { open } from 'node:fs/promises';
import { isZfoError } from '../errors.js';
import { DEFAULT_CONFIG_PATH } from '../cli/context.js';
import { crossJobProblems, jobProblems, type JobShape } from './job-checks.js';
import { issuesToProblems, problemAt } from './issues.js';
import { ConfigFileError, formatKeyPath, sortProblems, type ConfigProblem, type KeyPath } from './problems.js';
import type { Located } from './yaml-doc.js';
import { configSchema, type ConfigData, type JobConfig } from './schema/index.js';
import { parseYaml } from './yaml-doc.js';
import { retentionProblems } from '../actions/snapshot/config.js';

export interface LoadedConfig {
  /** The file read, or null when the (optional) default file does not exist: built-in defaults only. */
  readonly path: string | null;
  /** Permission bits (`st_mode & 0o7777`) and owner of the file, as read from the open descriptor. */
  readonly mode: number | null;
  readonly uid: number | null;
  readonly data: ConfigData;
  /** Line of a key path in the file (or of its deepest existing parent), for errors found later. */
  locate(path: KeyPath): number | null;
  /** A ConfigFileError naming this file, the line of `path` and the path itself. */
  error(path: KeyPath, message: string): ConfigFileError;
}

export interface LoadOptions {
  /** A missing *default* file is fine (ad-hoc runs); an explicit path must exist. */
  readonly optional?: boolean;
  /** Where the default file is (tests). */
  readonly defaultPath?: string;
}

// A config file is a few KiB; a limit keeps a mistaken path (a disk image, /dev/zero) from eating memory.
const MAX_SIZE = 1024 * 1024;

export const loadConfig = async (path: string | undefined, opts: LoadOptions = {}): Promise<LoadedConfig> => {
  const file = path ?? opts.defaultPath ?? DEFAULT_CONFIG_PATH;
  const fail = (message: string): ConfigFileError => new ConfigFileError(file, [{ line: null, path: null, message }]);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path === undefined && opts.optional) return emptyConfig();
    throw fail(`cannot read: ${describeErrno(e)}`);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw fail('cannot read: is a directory');
    if (st.size > MAX_SIZE) throw fail(`cannot read: larger than ${MAX_SIZE} bytes, not a config file`);
    const text = await handle.readFile({ encoding: 'utf8' });
    const loaded = parseConfigText(text, file, { mode: st.mode & 0o7777, uid: st.uid });
    if (loaded.data.alerts) {
      // Secrets (SMTP password, SNMPv3 keys) in a file other users can read: refused for every command.
      const { verifyAlertSecrets } = await import('../alert/secrets.js');
      verifyAlertSecrets(loaded.data.alerts, { path: file, mode: loaded.mode, uid: loaded.uid });
    }
    return loaded;
  } catch (e) {
    if (isZfoError(e)) throw e;
    throw fail(`cannot read: ${describeErrno(e)}`);
  } finally {
    await handle.close();
  }
};

/** Validate config text; `file` is only used in messages. Throws ConfigFileError listing every problem. */
export const parseConfigText = (
  text: string,
  file: string,
  meta: { mode: number | null; uid: number | null } = { mode: null, uid: null },
): LoadedConfig => {
  const yaml = parseYaml(text);
  const locate = (p: KeyPath): number | null => yaml.locate(p).line;
  const problems: ConfigProblem[] = [...yaml.problems];
  if (problems.length === 0) {
    // An empty file (or only comments) is a valid, empty config.
    const parsed = configSchema.safeParse(withoutExtensions(yaml.value ?? {}), { reportInput: true });
    if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, configSchema, yaml.locate));
    else problems.push(...semanticProblems(parsed.data, yaml.locate));
    if (problems.length === 0 && parsed.success) {
      const data = parsed.data;
      return {
        path: file,
        ...meta,
        data,
        locate,
        error: (p, message) => new ConfigFileError(file, [problemAt(yaml.locate, p, message)]),
      };
    }
  }
  throw new ConfigFileError(file, sortProblems(problems));
};

/**
 * Top-level `x-...` keys are ignored (as in docker-compose files): a place for YAML anchors shared by jobs,
 * e.g. `x-defaults: &defaults {holds: true}` and `<<: *defaults` in each job.
 */
const withoutExtensions = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('x-')))
    : value;

const emptyConfig = (): LoadedConfig => ({
  path: null,
  mode: null,
  uid: null,
  data: {},
  locate: () => null,
  error: (p, message) => new ConfigFileError(null, [{ line: null, path: formatKeyPath(p) || null, message }]),
});

/** The job as the cross-field checks see it (target ids defaulted to t1, t2, ...). */
export const jobShape = (job: JobConfig): JobShape => ({
  source: job.source,
  targets: job.targets.map((t, i) => ({ id: t.name ?? `t${i + 1}`, side: t.dataset, named: t.name !== undefined })),
  recursive: job.recursive ?? false,
  exclude: job.exclude ?? [],
});

const semanticProblems = (data: ConfigData, locate: (p: KeyPath) => Located): ConfigProblem[] => {
  const port = data.ssh?.port ?? 22;
  const jobs = Object.entries(data.jobs ?? {}).map(([name, job]) => ({ name, job: jobShape(job) }));
  const at = (name: string, rel: KeyPath, message: string): ConfigProblem => problemAt(locate, ['jobs', name, ...rel], message);
  return [
    ...jobs.flatMap(({ name, job }) => jobProblems(job, port).map((pr) => at(name, pr.path, pr.message))),
    ...crossJobProblems(jobs, port).map(({ job, problem }) => at(job, problem.path, problem.message)),
    // Snapshot schedules and keep policies (templates, snapshots, targets' keep): found at load, so `sync` and
    // every other command refuse a bad policy, not only `snapshot`/`prune`.
    ...retentionProblems(data).map((p) => problemAt(locate, p.path, p.message)),
  ];
};

/**
 * True when someone other than the user running zfailover could read the file: group/other read bits, or
 * another owner. Secrets (SMTP passwords, SNMP keys) must not be kept in such a file.
 */
export const isReadableByOthers = (loaded: Pick<LoadedConfig, 'mode' | 'uid'>, euid = process.geteuid?.() ?? 0): boolean =>
  loaded.mode !== null && ((loaded.mode & 0o044) !== 0 || (loaded.uid !== null && loaded.uid !== euid));

const describeErrno = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    ELOOP: 'too many symbolic links',
  };
  return (err.code && text[err.code]) ?? err.message?.replace(/\s+/g, ' ') ?? String(e);
};
