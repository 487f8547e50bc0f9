// What a receive cannot do by itself on every host. zfs-fuse mounts what it receives (no `recv -u`), and a
// mounted replica gets modified (child mountpoint directories, atime), which breaks the next incremental with
// "destination has been modified": so the new dataset is unmounted and kept from mounting (canmount=noauto;
// promote turns it back on). Without `recv -o`, readonly=on is set afterwards.
import type { Logger } from 'pino';
import { setProperties, umount } from '../zfs/commands-dataset.js';
import type { Capabilities, Runner } from '../zfs/types.js';

export const afterFullReceive = async (runner: Runner, caps: Capabilities, dataset: string, log: Logger): Promise<void> => {
  if (!caps.recvUnmounted) {
    try {
      await umount(runner, dataset);
    } catch (e) {
      log.debug({ err: e, dataset }, 'unmount after receive failed (not mounted?)');
    }
  }
  const props: Record<string, string> = {};
  if (!caps.recvUnmounted) props.canmount = 'noauto';
  if (!caps.recvProps) props.readonly = 'on';
  if (Object.keys(props).length > 0) await setProperties(runner, dataset, props, caps);
};
