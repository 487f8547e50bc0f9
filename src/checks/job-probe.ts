// Probe of check job: the state file and lock of each selected job, and (unless --no-zfs) one
// listing per side to see whether each replica's common snapshot is protected.
import { jobStatePath } from '../state/dir.js';
import { readJobState } from '../state/job-state.js';
import { readInstallationId } from '../state/installation.js';
import type { Owner } from '../core/names.js';
import { inspectLock } from '../state/lock.js';
import type { JobSpec } from '../config/job-spec.js';
import type { CheckHosts } from './hosts.js';
import { joinName, relativeName } from '../core/dataset.js';
import type { Policy } from '../core/retention/policy.js';
import type { LoadedConfig } from '../config/loaded.js';
import { entryFor, resolveEntries, targetPolicy } from '../config/retention.js';
import { readPruneState } from '../actions/prune/state.js';
import type { JobData } from './job.js';
import { protectionOf, type HorizonOptions, type Protection } from './protection.js';
import { probeJobs } from './replication-probe.js';

export interface JobCliOptions {
  zfs?: boolean;
  pruneHorizon?: number;
  failuresWarning?: number;
  failuresCritical?: number;
  maxRuntime?: number;
}

export const DEFAULT_FAILURES_WARNING = 3;
export const DEFAULT_MAX_RUNTIME = 15 * 60;
export const DEFAULT_PRUNE_HORIZON = 60 * 60;

/** The retention policies of a job's two sides, from the config's `snapshots:` entries and the targets' `keep:`. */
const horizonFor = (loaded: LoadedConfig, job: JobSpec, targetIndex: number, now: number, horizonSec: number): HorizonOptions => {
  const entries = resolveEntries(loaded);
  const sourcePolicy = (dataset: string): Policy | null => entryFor(entries, { host: job.source.host, dataset })?.policy ?? null;
  const target = job.targets[targetIndex];
  return {
    now,
    horizonMs: horizonSec * 1000,
    sourcePolicy,
    targetPolicy: (dataset) => {
      const rel = target ? relativeName(target.side.dataset, dataset) : null;
      const source = rel === null ? null : sourcePolicy(joinName(job.source.dataset, rel));
      return targetPolicy(loaded, job, targetIndex, source);
    },
  };
};

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

interface ProbeInput {
  readonly jobs: readonly JobSpec[];
  readonly loaded: LoadedConfig;
  readonly stateDir: string;
  readonly withZfs: boolean;
  readonly horizonSec: number;
  readonly pool: CheckHosts;
  readonly signal: AbortSignal;
  readonly now: number;
}

/** Whose sync snapshots are safe from other pruners: this job's, of this installation (none yet before its first sync). */
const ownerFor = (job: JobSpec, stateDir: string): Owner => ({ job: job.id, installation: job.installation ?? readInstallationId(stateDir) });

export const probe = async ({ jobs, loaded, stateDir, withZfs, horizonSec, pool, signal, now }: ProbeInput): Promise<JobData[]> => {
  const listings = withZfs ? await probeJobs(jobs, { pool, signal, now: now / 1000, estimate: false, maxEstimates: 0 }) : null;
  return Promise.all(
    jobs.map(async (job, i) => {
      const [state, lock, prune] = await Promise.all([
        readJobState(stateDir, job.id).catch(asError),
        inspectLock(stateDir, job.id).catch(() => null),
        readPruneState(stateDir, job.id).catch(asError),
      ]);
      const protection = new Map<string, Protection | Error>();
      const l = listings?.[i];
      if (l) {
        for (const t of l.targets) {
          if (t.error !== null) protection.set(t.target.id, asError(t.error));
          else if (l.source === null) protection.set(t.target.id, asError(l.sourceError));
          else {
            const index = job.targets.indexOf(t.target);
            protection.set(t.target.id, protectionOf(ownerFor(job, stateDir), t.pairs, horizonFor(loaded, job, index, now, horizonSec)));
          }
        }
      }
      return { job, statePath: jobStatePath(stateDir, job.id), state, lock, protection, prune };
    }),
  );
};
