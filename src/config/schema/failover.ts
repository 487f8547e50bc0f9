// Config slot for per-job `failover:` (promote/demote policy).
// OWNER: the failover engineer, who replaces this schema (keep the export name); read it from
// LoadedConfig.data.jobs[name].failover (JobSpec does not carry it).
import * as z from 'zod';

export const failoverSchema = z.unknown().optional();
