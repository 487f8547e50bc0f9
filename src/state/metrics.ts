// Metrics on disk: the node_exporter textfile (<textfile_dir>/zfailover-<command>-<job>.prom, one per command
// and job so concurrent runs never clobber each other) and the counters behind it (<state>/metrics/, which
// must survive processes). Publishing never throws: a run's outcome never depends on its metrics.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { renderExposition, type MetricFamily } from '../core/metrics/exposition.js';
import { countRun, ZERO_COUNTERS, type RunCounters, type RunState } from '../core/metrics/run.js';
import { isValidId } from '../core/names.js';
import { InternalError } from '../errors.js';
import { writeJsonAtomic } from './atomic.js';
import { describeErrno } from './errors.js';

export const METRICS_COMMANDS = ['sync', 'snapshot', 'prune', 'promote', 'demote', 'check'] as const;
export type MetricsCommand = (typeof METRICS_COMMANDS)[number];

/**
 * `zfailover-<command>-<name>`: a job id as is; any other name (prune's `snapshots:` entries are dataset names)
 * percent-encoded, so no name can reach another directory or another command's file.
 */
const baseName = (command: MetricsCommand, job: string): string => {
  if (job === '') throw new InternalError('empty name for a metrics file');
  return `zfailover-${command}-${isValidId(job) ? job : encodeURIComponent(job).replace(/\./g, '%2E')}`;
};

export const textfilePath = (dir: string, command: MetricsCommand, job: string): string => join(dir, `${baseName(command, job)}.prom`);
export const countersPath = (stateDir: string, command: MetricsCommand, job: string): string => join(stateDir, 'metrics', `${baseName(command, job)}.json`);

const COUNTERS_VERSION = 1;
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** The kept counters; missing -> zero. A damaged file -> zero and a warning (counters reset, which Prometheus handles). */
export const readCounters = async (stateDir: string, command: MetricsCommand, job: string, log: Logger): Promise<RunCounters> => {
  const path = countersPath(stateDir, command, job);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, err: describeErrno(e) }, 'cannot read the metrics counters; starting from zero');
    return ZERO_COUNTERS;
  }
  try {
    const v = JSON.parse(text) as {
      version?: unknown;
      runs?: unknown;
      failures?: unknown;
      consecutiveFailures?: unknown;
      lastSuccessAt?: unknown;
      bytes?: unknown;
    };
    const runs = count(v.runs);
    const failures = count(v.failures);
    const consecutiveFailures = count(v.consecutiveFailures ?? 0);
    const lastSuccessAt = v.lastSuccessAt === null || v.lastSuccessAt === undefined ? null : count(v.lastSuccessAt);
    const bytes: Record<string, number> = {};
    const rawBytes = v.bytes;
    if (
      v.version !== COUNTERS_VERSION ||
      runs === null ||
      failures === null ||
      consecutiveFailures === null ||
      (v.lastSuccessAt != null && lastSuccessAt === null) ||
      typeof rawBytes !== 'object' ||
      rawBytes === null ||
      Array.isArray(rawBytes)
    )
      throw new Error('bad shape');
    for (const [k, b] of Object.entries(rawBytes)) {
      const n = count(b);
      if (!isValidId(k) || n === null) throw new Error('bad bytes');
      bytes[k] = n;
    }
    return { runs, failures, consecutiveFailures, lastSuccessAt, bytes };
  } catch {
    log.warn({ path }, 'the metrics counters file is damaged; starting from zero');
    return ZERO_COUNTERS;
  }
};

export const writeCounters = (stateDir: string, command: MetricsCommand, job: string, c: RunCounters): Promise<void> =>
  writeJsonAtomic(
    countersPath(stateDir, command, job),
    {
      version: COUNTERS_VERSION,
      runs: c.runs,
      failures: c.failures,
      consecutiveFailures: c.consecutiveFailures,
      lastSuccessAt: c.lastSuccessAt,
      bytes: c.bytes,
    },
    0o600,
  );

/**
 * Write the textfile: a random temp name in the same directory (not ending in .prom, so node_exporter never
 * reads a half-written file), created O_EXCL|O_NOFOLLOW, then renamed over the old one. No fsync: a file lost
 * to a power cut is rewritten by the next run. The directory must be a real directory not writable by others
 * (node_exporter serves whatever is in it). Mode 0644: node_exporter runs as another user.
 */
export const writeTextfile = async (dir: string, command: MetricsCommand, job: string, text: string): Promise<void> => {
  const st = await lstat(dir);
  if (!st.isDirectory()) {
    const target = st.isSymbolicLink() ? await stat(dir) : st;
    if (!target.isDirectory()) throw new Error(`${dir} is not a directory`);
  }
  const real = st.isDirectory() ? st : await stat(dir);
  if ((real.mode & 0o002) !== 0) throw new Error(`${dir} is writable by others`);
  const path = textfilePath(dir, command, job);
  const tmp = join(dir, `.${baseName(command, job)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      await fh.writeFile(text);
      await fh.chmod(0o644); // the umask may have narrowed it
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
};

export interface PublishInput {
  /** `metrics.textfile_dir`, or undefined when metrics are off (then nothing is read or written). */
  readonly textfileDir: string | undefined;
  readonly stateDir: string;
  readonly command: MetricsCommand;
  readonly job: string;
  readonly state: RunState;
  /** End of this run, ms since the epoch. */
  readonly finishedAt: number;
  /** Bytes sent per target id by this run (sync). */
  readonly bytes?: Readonly<Record<string, number>>;
  /** The families to publish, given the counters after this run. */
  readonly families: (counters: RunCounters) => readonly MetricFamily[];
  readonly log: Logger;
}

/** Count the run, then write the textfile. Never throws: every failure is one logged warning. */
export const publishRunMetrics = async (p: PublishInput): Promise<void> => {
  if (p.textfileDir === undefined) return;
  let text: string;
  try {
    const counters = countRun(await readCounters(p.stateDir, p.command, p.job, p.log), p.state, p.finishedAt, p.bytes);
    try {
      await writeCounters(p.stateDir, p.command, p.job, counters);
    } catch (e) {
      p.log.warn({ err: e }, 'cannot keep the metrics counters; they restart from zero');
    }
    text = renderExposition(p.families(counters));
  } catch (e) {
    p.log.warn({ err: e }, 'cannot build the metrics; the textfile keeps its previous content');
    return;
  }
  try {
    await writeTextfile(p.textfileDir, p.command, p.job, text);
  } catch (e) {
    p.log.warn({ dir: p.textfileDir, err: describeErrno(e) }, 'cannot write the metrics textfile; the run itself is not affected');
  }
};
