// Role and epoch bookkeeping done by sync (docs/design.md §3, §8): a source without a role becomes `primary`;
// a target root becomes `replica` with the source's epoch, and a lower target epoch is raised. Set locally on the
// root of each tree (children inherit), never sent. Epochs only ever go up here; promote raises them.
import type { Logger } from 'pino';
import type { DatasetInfo } from '../core/dataset.js';
import { PROP_EPOCH, PROP_ROLE } from '../core/names.js';
import type { Capabilities } from '../zfs/types.js';
import type { SyncEndpoint } from './endpoint.js';

/** Properties to set on a target root after a cycle, or null when it is already right. */
export const targetRoleUpdate = (source: DatasetInfo, target: DatasetInfo | null, received: boolean): Record<string, string> | null => {
  const sourceEpoch = source.epoch ?? 0;
  if (target === null) return received ? { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(sourceEpoch) } : null;
  if (target.role === 'primary') return null; // fenced: the planner refused it; promote/demote decide
  const update: Record<string, string> = {};
  if (target.role === null || target.roleSource !== 'local') update[PROP_ROLE] = 'replica';
  if ((target.epoch ?? 0) < sourceEpoch || target.epoch === null) update[PROP_EPOCH] = String(Math.max(sourceEpoch, target.epoch ?? 0));
  return Object.keys(update).length > 0 ? update : null;
};

/** A source nobody marked yet is the primary of epoch 0. */
export const sourceRoleUpdate = (source: DatasetInfo): Record<string, string> | null =>
  source.role === null ? { [PROP_ROLE]: 'primary', [PROP_EPOCH]: String(source.epoch ?? 0) } : null;

/** Returns whether `update` is now in place (true when there was nothing to do). */
export const applyRoleUpdate = async (
  endpoint: SyncEndpoint,
  caps: Capabilities,
  dataset: string,
  update: Record<string, string> | null,
  log: Logger,
): Promise<boolean> => {
  if (!update) return true;
  try {
    await endpoint.setProperties(caps, dataset, update);
    return true;
  } catch (e) {
    log.warn({ err: e, dataset, update }, 'could not set role/epoch; retried next cycle');
    return false;
  }
};
