// Probe shared by the rpo and divergence checks: one listing per side and root (never one call per dataset),
// paired by relative name as sync pairs them. A side that cannot be listed is recorded with its error, so
// the other targets of a fan-out job are still evaluated and only that one is UNKNOWN.
import type { Listing } from '../core/dataset.js';
import { computeLag } from '../core/lag.js';
import { formatSide } from '../zfs/side.js';
import { listTree } from '../zfs/list.js';
import { resumeTokenInfo, sendEstimate } from '../zfs/commands-dataset.js';
import type { Capabilities, Runner } from '../zfs/types.js';
import type { JobSpec, TargetSpec } from '../config/job-spec.js';
import { pairDatasets, type DatasetPair } from '../sync/pairs.js';
import type { CheckHosts } from './hosts.js';
import { mapLimit } from '../core/map-limit.js';

export interface ProbedPair extends DatasetPair {
  /** GUID the target's partial receive leads to (decoded on the source), null when none or unreadable. */
  readonly resumeToGuid: string | null;
  /** `zfs send -nvP` estimate of what the next sync sends, bytes; null when not estimated (or nothing to send). */
  readonly pending: number | null;
}

export interface TargetProbe {
  readonly target: TargetSpec;
  /** `host:pool/ds` or `pool/ds`. */
  readonly label: string;
  readonly listing: Listing | null;
  readonly error: unknown;
  readonly pairs: readonly ProbedPair[];
}

export interface JobProbe {
  readonly job: JobSpec;
  readonly source: Listing | null;
  readonly sourceError: unknown;
  readonly targets: readonly TargetProbe[];
}

export interface ProbeOptions {
  readonly pool: CheckHosts;
  readonly signal: AbortSignal;
  /** Estimate pending bytes (one `zfs send -nvP` per dataset that is behind, at most `maxEstimates`). */
  readonly estimate: boolean;
  readonly maxEstimates: number;
  readonly now: number;
}

interface Side {
  readonly runner: Runner;
  readonly caps: Capabilities;
}

const open = async (o: ProbeOptions, job: JobSpec, side: JobSpec['source']): Promise<Side> => {
  const runner = o.pool.runner(side.host, job.ssh);
  return { runner, caps: await o.pool.capabilities(runner, o.signal) };
};

const list = async (o: ProbeOptions, job: JobSpec, side: JobSpec['source']): Promise<{ side: Side; listing: Listing }> => {
  const s = await open(o, job, side);
  const listing = await listTree(s.runner, s.caps, side.dataset, { recursive: job.recursive, columns: 'replication', signal: o.signal });
  return { side: s, listing };
};

type Settled<T> = { ok: true; value: T; error: null } | { ok: false; value: null; error: unknown };
const settle = async <T>(p: Promise<T>): Promise<Settled<T>> => {
  try {
    return { ok: true, value: await p, error: null };
  } catch (e) {
    return { ok: false, value: null, error: e };
  }
};

/** All jobs in parallel; within a job the source and every target are listed at the same time. */
// A few jobs at a time (each lists its source and targets at once), not every job of `--all` at once.
export const probeJobs = (jobs: readonly JobSpec[], o: ProbeOptions): Promise<JobProbe[]> => mapLimit(jobs, 4, (j) => probeJob(j, o));

const probeJob = async (job: JobSpec, o: ProbeOptions): Promise<JobProbe> => {
  const [src, ...tgts] = await Promise.all([settle(list(o, job, job.source)), ...job.targets.map((t) => settle(list(o, job, t.side)))]);
  const targets: TargetProbe[] = [];
  let budget = o.estimate ? o.maxEstimates : 0;
  for (const [i, target] of job.targets.entries()) {
    const t = tgts[i]!;
    const label = formatSide(target.side);
    if (!t.ok || !src.ok) {
      targets.push({ target, label, listing: t.value?.listing ?? null, error: t.error, pairs: [] });
      continue;
    }
    const source = src.value;
    const pairing = pairDatasets(source.listing, t.value.listing, { recursive: job.recursive, exclude: job.exclude });
    const pairs: ProbedPair[] = [];
    for (const pair of pairing.pairs) {
      const resumeToGuid = pair.target?.resumeToken ? await decodeToken(source.side, pair.target.resumeToken, o.signal) : null;
      let pending: number | null = null;
      // The lag is computed here only to pick the increment to estimate; evaluation computes it again (cheap).
      if (pair.target && budget > 0 && source.side.caps.sendEstimate) {
        const lag = computeLag({ versions: pair.source.versions, written: pair.source.written }, { versions: pair.target.versions }, o.now);
        const newest = lag.sourceNewest;
        if (lag.common && newest && lag.behind.length > 0) {
          budget--;
          const step = { kind: 'incremental', from: lag.common.source, to: newest, intermediates: true } as const;
          pending = await sendEstimate(source.side.runner, source.side.caps, step, { signal: o.signal }).catch(() => null);
        }
      }
      pairs.push({ ...pair, resumeToGuid, pending });
    }
    targets.push({ target, label, listing: t.value.listing, error: null, pairs });
  }
  return { job, source: src.value?.listing ?? null, sourceError: src.error, targets };
};

/** The snapshot a partial receive leads to; an unreadable token is reported, not fatal. */
const decodeToken = async (source: Side, token: string, signal: AbortSignal): Promise<string | null> => {
  if (!source.caps.resume) return null;
  try {
    return (await resumeTokenInfo(source.runner, token, { signal })).toGuid;
  } catch {
    return null;
  }
};
