// What a receive cannot do by itself on every host. zfs-fuse mounts what it receives (no `recv -u`), and a
// mounted replica gets modified (child mountpoint directories, atime), which breaks the next incremental with
// "destination has been modified": so the new dataset is unmounted and kept from mounting (canmount=noauto;
// promote turns it back on). Without `recv -o`, readonly=on is set afterwards.
import type { Logger } from 'pino';
import type { Capabilities } from '../zfs/types.js';
import type { SyncEndpoint } from './endpoint.js';

export const afterFullReceive = async (endpoint: SyncEndpoint, caps: Capabilities, dataset: string, log: Logger): Promise<void> => {
  if (!caps.recvUnmounted) {
    try {
      await endpoint.umount(dataset);
    } catch (e) {
      log.debug({ err: e, dataset }, 'unmount after receive failed (not mounted?)');
    }
  }
  const props: Record<string, string> = {};
  if (!caps.recvUnmounted) props.canmount = 'noauto';
  if (!caps.recvProps) props.readonly = 'on';
  if (Object.keys(props).length > 0) await endpoint.setProperties(caps, dataset, props);
};
