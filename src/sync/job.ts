// A replication job as the engine runs it: config owns the type (src/config/job-spec.ts); the engine's name for it.
export * from '../config/job-spec.js';
import type { Owner } from '../core/names.js';
import { InternalError } from '../errors.js';
import type { JobSpec } from '../config/job-spec.js';

/** The namespace of the job's sync snapshots, cursors and holds; only after the cycle has set the identity. */
export const ownerOf = (job: JobSpec): Owner & { readonly installation: string } => {
  if (job.installation === undefined) throw new InternalError(`job ${job.id} has no installation identity yet`);
  return { job: job.id, installation: job.installation };
};

/** Transfers at once per target when the job does not say (measured on the OpenZFS guest: docs/concurrency.md). */
export const DEFAULT_CONCURRENCY = 1;
