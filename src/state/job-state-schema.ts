// The zod schema of the job state file (<state>/jobs/<job>.json), version 1. Loaded only when the hand-written
// validator (job-state-check.ts) refuses a value: zod then gives the one error message operators see, so a
// refused file reads exactly as before, while every readable file costs no zod at all.
import * as z from 'zod';
import { JOB_STATE_VERSION } from './job-state-version.js';

const SERVICE_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
const serviceState = z.enum(SERVICE_STATES);
/** Milliseconds since the epoch. */
const epochMs = z.number().int().nonnegative();

export const commonSchema = z.object({
  /** Short snapshot name (after `@`) of the newest snapshot source and target share, on the target's root. */
  name: z.string(),
  /** Exact decimal GUID. */
  guid: z.string().regex(/^\d{1,20}$/),
  /** Unix seconds, as zfs reports `creation`: the replica's point in time (RPO = now - creation). */
  creation: z.number(),
  /** createtxg on the target pool. */
  createtxg: z.number(),
});

export const targetStateSchema = z.object({
  /** Side spec of the target as last run (`host:pool/ds`). */
  side: z.string(),
  lastSuccessAt: epochMs.nullable(),
  lastState: serviceState,
  lastSummary: z.string(),
  common: commonSchema.nullable(),
  /**
   * Newest common snapshot per dataset of a replicated tree, keyed by the path below the root ('' = root).
   * The sync engine reads it back to protect each dataset's base on the source while the target is unreachable.
   */
  datasets: z.record(z.string(), commonSchema).optional(),
  /**
   * Write-ahead record: snapshots a run started sending to this target, per dataset path ('' = root), written
   * before the transfer and cleared once a run reads back what the target has. A run killed between a receive
   * and this file's update leaves `common` behind the target; while the target cannot be listed, the sync keeps
   * these snapshots on the source too (docs/design.md §4.3.1). Absent in files from older versions: none.
   */
  inFlight: z.record(z.string(), z.array(z.object({ name: z.string(), guid: z.string().regex(/^\d{1,20}$/) }))).optional(),
  /** Bytes sent to this target by the last run. */
  bytes: z.number().nonnegative(),
  /** A partial receive is waiting on the target (resumable) since `since`. */
  resume: z.object({ token: z.literal(true), since: epochMs }).nullable(),
  /** Name of the conflict blocking this target (`diverged`, ...), or null. */
  conflict: z.string().nullable(),
});

export const jobStateSchema = z.object({
  version: z.literal(JOB_STATE_VERSION),
  job: z.string(),
  updatedAt: epochMs,
  lastRun: z.object({ startedAt: epochMs, finishedAt: epochMs, state: serviceState, summary: z.string(), conflict: z.string().optional() }).nullable(),
  lastSuccess: z
    .object({
      at: epochMs,
      startedAt: epochMs,
      durationMs: z.number().nonnegative(),
      bytes: z.number().nonnegative(),
      snapshots: z.number().int().nonnegative(),
    })
    .nullable(),
  lastError: z.object({ at: epochMs, kind: z.string(), message: z.string() }).nullable(),
  /** Runs in a row that did not end OK; 0 after a success. */
  consecutiveFailures: z.number().int().nonnegative(),
  targets: z.record(z.string(), targetStateSchema),
});

export type JobState = z.infer<typeof jobStateSchema>;
export type TargetState = z.infer<typeof targetStateSchema>;
export type CommonSnapshot = z.infer<typeof commonSchema>;
export type InFlightSnapshot = NonNullable<TargetState['inFlight']>[string][number];
