// Runs one failover ZfsOp on a host through the zfs adapter's verbs (argument arrays, classified errors).
// Verbs that promise it are idempotent (mount, unmount, abort), so a re-run after a crash repeats them safely.
import { describeOp, type ZfsOp } from '../../core/failover/ops.js';
import { snapshot } from '../../zfs/commands.js';
import { abortResume, cloneSnapshot, inheritProperty, mount, renameDataset, rollback, setProperties, umount } from '../../zfs/commands-dataset.js';
import type { Capabilities, Runner } from '../../zfs/types.js';

export const runZfsOp = async (runner: Runner, caps: Capabilities, op: ZfsOp, signal: AbortSignal): Promise<void> => {
  const o = { signal };
  switch (op.op) {
    case 'set':
      return setProperties(runner, op.dataset, op.props, caps, o);
    case 'inherit':
      return inheritProperty(runner, op.dataset, op.prop, o);
    case 'mount':
      return mount(runner, op.dataset, o);
    case 'unmount':
      return umount(runner, op.dataset, o);
    case 'snapshot':
      return snapshot(runner, caps, [op.snapshot], { ...o, recursive: op.recursive });
    case 'rollback':
      return rollback(runner, op.snapshot, { ...o, destroyNewer: false });
    case 'abort-resume':
      return abortResume(runner, caps, op.dataset, o);
    case 'rename':
      return renameDataset(runner, op.from, op.to, o);
    case 'clone':
      return cloneSnapshot(runner, op.snapshot, op.dataset, { ...o, properties: op.props });
    case 'promote-clone':
      // No adapter verb for `zfs promote` yet (src/zfs/commands-dataset.ts); the runner keeps it an argv.
      await runner.exec(['zfs', 'promote', op.dataset], o);
      return;
  }
};

export { describeOp };
