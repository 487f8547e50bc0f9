// Promotion and demotion records, <state>/promote/{promote,demote}-<job>.json: what the last run of each did
// and how far it got. A run that did not reach `done` is interrupted: a re-run finishes it (promote runs the
// after hooks it missed; demote finds the aside tree it renamed). `status` shows them. Atomic writes.
import { join } from 'node:path';
import * as z from 'zod';
import { isValidId } from '../../core/names.js';
import { InternalError } from '../../errors.js';
import { readJson, writeJsonAtomic } from '../../state/atomic.js';
import { StateFileCorruptError } from '../../state/errors.js';

export const RECORD_VERSION = 1;

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  job: z.string(),
  action: z.enum(['promote', 'demote']),
  mode: z.enum(['planned', 'takeover', 'demote']),
  pid: z.number().int().positive(),
  startedAt: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
  phase: z.enum(['started', 'switched', 'done', 'failed']),
  epoch: z.number().int().nonnegative(),
  /** Side specs as given: the primary (source) and the replica (target) of the job. */
  primary: z.string(),
  replica: z.string(),
  /** Dataset -> snapshot it was promoted at. */
  points: z.record(z.string(), z.string()).optional(),
  /** Demote: the aside dataset holding the diverged writes. */
  aside: z.string().nullable().optional(),
  detail: z.string().optional(),
});

export type FailoverRecord = z.infer<typeof recordSchema>;
export type RecordAction = FailoverRecord['action'];

export const recordPath = (stateDir: string, action: RecordAction, job: string): string => {
  if (!isValidId(job)) throw new InternalError(`invalid job id for a record: ${JSON.stringify(job)}`);
  return join(stateDir, 'promote', `${action}-${job}.json`);
};

export const readRecord = (stateDir: string, action: RecordAction, job: string): Promise<FailoverRecord | null> => {
  const path = recordPath(stateDir, action, job);
  return readJson(path, (v) => {
    const r = recordSchema.safeParse(v);
    if (!r.success) throw new StateFileCorruptError(path, `not a ${action} record of version ${RECORD_VERSION}`);
    if (r.data.job !== job || r.data.action !== action)
      throw new StateFileCorruptError(path, `record of another job or action (${r.data.action} ${r.data.job})`);
    return r.data;
  });
};

export const writeRecord = (stateDir: string, r: FailoverRecord): Promise<void> =>
  writeJsonAtomic(recordPath(stateDir, r.action, r.job), recordSchema.parse(r), 0o640);

export const isInterrupted = (r: FailoverRecord | null): boolean => r !== null && r.phase !== 'done';
