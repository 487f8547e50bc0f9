// Prune state files `<state>/prune/<name>.json`, one per job (or per `snapshots:` entry outside any job):
// per dataset the snapshot count seen (to notice a truncated listing next time) and the pile-up count
// against its ceiling (read by the job check). Written atomically after every non-dry run.
//
//   {"version":1, "name":"data", "at":1795680000000,
//    "datasets":[{"side":"source","name":"tank/data","snapshots":112,"count":0,"kept":0,"ceiling":500}, ...]}
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { readJson, writeJsonAtomic } from '../../state/atomic.js';
import { StateDirError } from '../../state/errors.js';

export const PRUNE_STATE_VERSION = 1;

const datasetSchema = z.object({
  /** `source`, or `<job>/<target id>`. */
  side: z.string(),
  /** Host-qualified dataset (`tank/data`, `root@b:backup/data`). */
  name: z.string(),
  /** Snapshots listed on this run. */
  snapshots: z.number().int().nonnegative(),
  /** Snapshots the policy would destroy that targets still need (pile-up). */
  count: z.number().int().nonnegative(),
  /** Of those, kept (at most the ceiling). */
  kept: z.number().int().nonnegative(),
  ceiling: z.number().int().nonnegative(),
});

export const pruneStateSchema = z.object({
  version: z.literal(PRUNE_STATE_VERSION),
  name: z.string(),
  /** Milliseconds since the epoch. */
  at: z.number().int().nonnegative(),
  datasets: z.array(datasetSchema),
});

export type PruneState = z.infer<typeof pruneStateSchema>;
export type PruneStateDataset = z.infer<typeof datasetSchema>;

/** File name for a job id (an identifier) or an entry root (a dataset name, escaped). */
export const pruneStateFile = (stateDir: string, name: string): string => join(stateDir, 'prune', `${encodeURIComponent(name)}.json`);

export const readPruneState = (stateDir: string, name: string): Promise<PruneState | null> =>
  readJson(pruneStateFile(stateDir, name), (v) => pruneStateSchema.parse(v));

export const writePruneState = async (stateDir: string, state: PruneState): Promise<void> => {
  const dir = join(stateDir, 'prune');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateDirError(dir, `cannot create: ${(e as Error).message}`, { cause: e });
  }
  await writeJsonAtomic(pruneStateFile(stateDir, state.name), state);
};
