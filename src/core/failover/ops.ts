// The zfs operations a failover decision asks for, as data: the executor runs them in order (each one
// idempotent or checked before), a dry run prints them, and the model test interprets them. Pure.
import { commandLine } from '../operator-command.js';

export type ZfsOp =
  /** `zfs set k=v ... ds` (one transaction on OpenZFS, one call per property on zfs-fuse). */
  | { readonly op: 'set'; readonly dataset: string; readonly props: Readonly<Record<string, string>> }
  /** `zfs inherit prop ds`: drop a local value (readonly then follows the parent). */
  | { readonly op: 'inherit'; readonly dataset: string; readonly prop: string }
  | { readonly op: 'mount'; readonly dataset: string }
  | { readonly op: 'unmount'; readonly dataset: string }
  /** `zfs snapshot [-r] ds@name`. */
  | { readonly op: 'snapshot'; readonly snapshot: string; readonly recursive: boolean }
  /** `zfs rollback ds@snap` to the dataset's newest snapshot: never `-r`, so no snapshot is destroyed. */
  | { readonly op: 'rollback'; readonly snapshot: string }
  /** `zfs receive -A ds`: drop a partially received stream. */
  | { readonly op: 'abort-resume'; readonly dataset: string }
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'clone'; readonly snapshot: string; readonly dataset: string; readonly props: Readonly<Record<string, string>> }
  /** `zfs promote ds`: the clone takes over its origin's snapshots up to the origin snapshot. */
  | { readonly op: 'promote-clone'; readonly dataset: string };

const props = (p: Readonly<Record<string, string>>): string[] => Object.entries(p).map(([k, v]) => `${k}=${v}`);

/** The argv of an operation (what the executor runs, as an operator would type it). */
export const opArgv = (o: ZfsOp): string[] => {
  switch (o.op) {
    case 'set':
      return ['zfs', 'set', ...props(o.props), o.dataset];
    case 'inherit':
      return ['zfs', 'inherit', o.prop, o.dataset];
    case 'mount':
      return ['zfs', 'mount', o.dataset];
    case 'unmount':
      return ['zfs', 'unmount', o.dataset];
    case 'snapshot':
      return ['zfs', 'snapshot', ...(o.recursive ? ['-r'] : []), o.snapshot];
    case 'rollback':
      return ['zfs', 'rollback', o.snapshot];
    case 'abort-resume':
      return ['zfs', 'receive', '-A', o.dataset];
    case 'rename':
      return ['zfs', 'rename', o.from, o.to];
    case 'clone':
      return ['zfs', 'clone', ...props(o.props).flatMap((p) => ['-o', p]), o.snapshot, o.dataset];
    case 'promote-clone':
      return ['zfs', 'promote', o.dataset];
  }
};

/** The command as an operator would paste it on that side's host, quoted by the one builder (names may hold blanks). */
export const describeOp = (o: ZfsOp): string => commandLine(opArgv(o));

/** A group of operations on one side, with the reason shown to the operator. */
export interface OpGroup {
  readonly side: 'primary' | 'replica';
  /** Short imperative phrase: `fence the primary`, `promote the replica`. */
  readonly what: string;
  readonly ops: readonly ZfsOp[];
}
