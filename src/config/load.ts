// Parsing and validating config text: YAML, zod, checks across fields. The file itself is read by loader.ts,
// which imports this module only when its cache cannot answer (yaml and zod are most of the start-up cost).
// Every problem becomes `config error: FILE:LINE: key.path: message` (ConfigFileError, exit 3 UNKNOWN).
import { crossJobProblems, jobProblems, type JobShape } from './job-checks.js';
import { issuesToProblems, problemAt } from './issues.js';
import { buildLineTree, type LineTree } from './config-cache.js';
import type { LoadedConfig } from './loaded.js';
import { ConfigFileError, sortProblems, type ConfigProblem, type KeyPath } from './problems.js';
import type { Located } from './yaml-doc.js';
import { configSchema, type ConfigData, type JobConfig } from './schema/index.js';
import { parseYaml } from './yaml-doc.js';
import { retentionProblems } from './retention.js';

// isReadableByOthers stays importable from here (its rule is the state trust module's); loadConfig is loader.ts's.
export { isReadableByOthers } from '../state/trust.js';

/** Validate config text; `file` is only used in messages. Throws ConfigFileError listing every problem. */
export const parseConfigText = (text: string, file: string, meta: { mode: number | null; uid: number | null } = { mode: null, uid: null }): LoadedConfig =>
  parseConfigSource(text, file, meta).loaded;

/** parseConfigText plus, on demand, the document's line table for the cache (null when too large for one). */
export const parseConfigSource = (
  text: string,
  file: string,
  meta: { mode: number | null; uid: number | null } = { mode: null, uid: null },
): { loaded: LoadedConfig; lines: () => LineTree | null } => {
  const yaml = parseYaml(text);
  const locate = (p: KeyPath): number | null => yaml.locate(p).line;
  const problems: ConfigProblem[] = [...yaml.problems];
  if (problems.length === 0) {
    // An empty file (or only comments) is a valid, empty config.
    const parsed = configSchema.safeParse(withoutExtensions(yaml.value ?? {}), { reportInput: true });
    if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, configSchema, yaml.locate));
    else problems.push(...semanticProblems(parsed.data, yaml.locate));
    if (problems.length === 0 && parsed.success) {
      const loaded: LoadedConfig = {
        path: file,
        ...meta,
        data: parsed.data,
        locate,
        error: (p, message) => new ConfigFileError(file, [problemAt(yaml.locate, p, message)]),
      };
      return { loaded, lines: () => buildLineTree(yaml.value ?? null, locate) };
    }
  }
  throw new ConfigFileError(file, sortProblems(problems));
};

/**
 * Top-level `x-...` keys are ignored (as in docker-compose files): a place for YAML anchors shared by jobs,
 * e.g. `x-defaults: &defaults {holds: true}` and `<<: *defaults` in each job.
 */
const withoutExtensions = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('x-'))) : value;

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
