// What a transfer may use: the hosts' capabilities narrowed by the features of the pools at both ends (a pool
// created with `-d`, or limited by a `compatibility` set, lacks features its host's zfs has: a stream using
// them is refused with "pool must be upgraded"). Read once per pool per cycle, and only when a transfer is
// planned, so a no-change cycle stays one listing per side. An unreadable answer keeps the host's capabilities.
import type { Logger } from 'pino';
import type { Capabilities } from '../zfs/types.js';
import type { SyncEndpoint } from './endpoint.js';

/** Per cycle: `host|pool` -> the capabilities usable there. */
export type PoolCapsCache = Map<string, Promise<Capabilities>>;

export const capsForPool = (
  cache: PoolCapsCache,
  endpoint: SyncEndpoint,
  caps: Capabilities,
  dataset: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<Capabilities> => {
  const pool = dataset.split('/')[0]!;
  const key = `${endpoint.label}|${pool}`;
  let found = cache.get(key);
  if (!found) {
    found = endpoint.poolCapabilities(caps, pool, signal).catch((e: unknown) => {
      log.warn({ err: e, pool, host: endpoint.label }, 'pool features unreadable; using the host capabilities');
      return caps;
    });
    cache.set(key, found);
  }
  return found;
};
