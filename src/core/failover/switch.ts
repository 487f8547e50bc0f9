// The switch itself, as zfs operations: the replica becomes primary (fenced before writable), the old primary a
// replica (readonly before its role changes), and the check on fresh listings after a planned switchover's final
// sync that the replica holds exactly the primary's last state. Pure.
import { newestCommon } from '../common.js';
import { formatPromotionPoint, PROP_EPOCH, PROP_PROMOTED, PROP_ROLE } from '../names.js';
import { newestSnapshot, type Version } from '../versions.js';
import type { OpGroup, ZfsOp } from './ops.js';
import { joinRel, refuse, relsTopDown, rootOf, type Refusal, type TreeView } from './tree.js';

/**
 * After the final sync, on fresh listings: every primary dataset's newest snapshot must be the replica's newest
 * (same GUID) and nothing written since. Then promote the replica at that point and demote the primary.
 */
export const decideSwitch = (
  primary: TreeView,
  replica: TreeView,
  epoch: number,
  now: number,
): { kind: 'switch'; switch: OpGroup[]; points: ReadonlyMap<string, Version> } | Refusal => {
  const points = new Map<string, Version>();
  for (const [rel, p] of primary.datasets) {
    const r = replica.datasets.get(rel);
    const newest = newestSnapshot(p.versions);
    if (!r || !newest)
      return refuse('unsafe', `${joinRel(replica.root, rel)} did not receive the final state of ${p.name}`, 'see the final sync above; nothing was switched');
    if (p.written !== null && p.written > 0)
      return refuse(
        'unsafe',
        `${p.name} was written after the final snapshot (${p.written} bytes): the stop hook did not stop every writer`,
        'nothing was switched; stop the writer, then re-run',
      );
    const rNewest = newestSnapshot(r.versions);
    const common = newestCommon(p.versions, r.versions);
    if (!rNewest || rNewest.guid !== newest.guid || !common) {
      return refuse(
        'unsafe',
        `${r.name} is at @${rNewest?.name ?? '-'}, not at the primary's @${newest.name} (GUIDs differ)`,
        'nothing was switched; see the final sync above',
      );
    }
    points.set(rel, rNewest);
  }
  const nowSec = Math.floor(now / 1000);
  return {
    kind: 'switch',
    points,
    switch: [
      { side: 'replica', what: `promote the replica (epoch ${epoch})`, ops: promoteOps(replica, epoch, points, nowSec) },
      { side: 'primary', what: `demote the old primary (epoch ${epoch})`, ops: demotePrimaryOps(primary, epoch) },
    ],
  };
};

/**
 * Replica -> primary. Fenced before it becomes writable: role, epoch and promotion point first (one transaction
 * on OpenZFS), so no sync writes into it once it accepts writes. Then readonly off (the root locally, children
 * follow it), canmount back on where sync set noauto (zfs-fuse), mount parents first. `points` null: keep the
 * recorded promotion point (finishing an earlier run).
 */
export const promoteOps = (tree: TreeView, epoch: number, points: ReadonlyMap<string, Version> | null, nowSec: number): ZfsOp[] => {
  const ops: ZfsOp[] = [];
  const point = (rel: string): Record<string, string> => {
    const v = points?.get(rel);
    return v ? { [PROP_PROMOTED]: formatPromotionPoint({ epoch, snapshot: v.name, guid: v.guid, time: nowSec }) } : {};
  };
  const rels = relsTopDown(tree);
  for (const rel of rels) {
    const d = tree.datasets.get(rel)!;
    const roleProps: Record<string, string> = rel === '' || d.roleSource === 'local' ? { [PROP_ROLE]: 'primary', [PROP_EPOCH]: String(epoch) } : {};
    const props = { ...roleProps, ...point(rel) };
    const already = rel === '' && d.role === 'primary' && d.epoch === epoch && points === null;
    if (Object.keys(props).length > 0 && !already) ops.push({ op: 'set', dataset: d.name, props });
  }
  for (const rel of rels) {
    const d = tree.datasets.get(rel)!;
    if (rel === '' && d.readonly !== false) ops.push({ op: 'set', dataset: d.name, props: { readonly: 'off' } });
    else if (rel !== '' && d.readonly !== false) ops.push({ op: 'inherit', dataset: d.name, prop: 'readonly' });
  }
  for (const rel of rels) {
    const d = tree.datasets.get(rel)!;
    if (d.type !== 'filesystem') continue;
    if (d.canmount === 'noauto') ops.push({ op: 'set', dataset: d.name, props: { canmount: 'on' } });
    const mountable = d.canmount === 'on' || d.canmount === 'noauto' || d.canmount === null;
    if (mountable && d.mounted !== true && d.mountpoint !== 'none' && d.mountpoint !== 'legacy') ops.push({ op: 'mount', dataset: d.name });
  }
  return ops;
};

/**
 * Primary -> replica of the new primary, in a planned switchover (nothing diverged: it was fenced and synced).
 * readonly first (already set by the fence), then role and epoch, then kept from mounting (as sync keeps its
 * replicas), unmounted children first.
 */
export const demotePrimaryOps = (tree: TreeView, epoch: number): ZfsOp[] => {
  const ops: ZfsOp[] = [];
  const rels = relsTopDown(tree);
  for (const rel of rels) {
    const d = tree.datasets.get(rel)!;
    if (d.readonly !== true) ops.push({ op: 'set', dataset: d.name, props: { readonly: 'on' } });
  }
  const root = rootOf(tree)!;
  if (!(root.role === 'replica' && root.epoch === epoch))
    ops.push({ op: 'set', dataset: root.name, props: { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(epoch) } });
  for (const rel of rels) {
    const d = tree.datasets.get(rel)!;
    if (rel !== '' && d.roleSource === 'local') ops.push({ op: 'set', dataset: d.name, props: { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(epoch) } });
    if (d.type === 'filesystem' && d.canmount === 'on') ops.push({ op: 'set', dataset: d.name, props: { canmount: 'noauto' } });
  }
  ops.push(...dropPromotionPoints(tree));
  for (const rel of [...rels].reverse()) {
    const d = tree.datasets.get(rel)!;
    if (d.type === 'filesystem' && d.mounted !== false) ops.push({ op: 'unmount', dataset: d.name });
  }
  return ops;
};

/**
 * A side that stops being primary drops the promotion point it got when it was promoted: a replica showing
 * `zfailover:promoted` of an old epoch after a round trip (promote there and back) reads as "promoted here".
 * Parents first; a child's value inherited from its parent is gone once the parent's is, and an inherit of a
 * property that is already inherited is a no-op.
 */
export const dropPromotionPoints = (tree: TreeView, name: (rel: string) => string = (rel) => tree.datasets.get(rel)!.name): ZfsOp[] =>
  relsTopDown(tree)
    .filter((rel) => tree.datasets.get(rel)!.extra[PROP_PROMOTED] !== undefined)
    .map((rel) => ({ op: 'inherit', dataset: name(rel), prop: PROP_PROMOTED }));
