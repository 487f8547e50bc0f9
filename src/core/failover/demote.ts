// May this side become a replica of that primary, and what must be kept first: the decision of
// `zfailover demote` as a pure function of both trees. Writes the old side made after the histories split are
// never rolled back or received over: the tree is renamed aside (readable, nothing copied), each dataset is
// re-created at the common snapshot as a clone of its aside copy and promoted (so it owns the shared history),
// and the new primary's increments are then received on top, as by any sync.
import { newestCommon, snapshotsAfter } from '../common.js';
import { formatDivergedSnapshotName, formatPromotionPoint, PROP_DIVERGED, PROP_EPOCH, PROP_PROMOTED, PROP_REBUILT, PROP_ROLE } from '../names.js';
import { fixLine } from '../operator-command.js';
import type { Version } from '../versions.js';
import type { OpGroup, ZfsOp } from './ops.js';
import { dropPromotionPoints } from './switch.js';
import { epochOf, joinRel, refuse, relsTopDown, rootOf, sourceRole, type Refusal, type TreeView } from './tree.js';

export interface DemoteInput {
  /** ms since the epoch. */
  readonly now: number;
  /** The primary that stays (the reverse job's source). */
  readonly source: TreeView;
  /** The side to demote (the reverse job's target); its root may be missing after an interrupted run. */
  readonly target: TreeView;
  /** An aside tree left by an interrupted demote of this target (from its record), or null. */
  readonly aside: TreeView | null;
  /** Where a new aside goes (formatDivergedDatasetName). */
  readonly asideName: string;
  /** Runnable commands for refusal hints (built by core/operator-command.ts); prose without them. */
  readonly commands?: DemoteCommands | undefined;
}

export interface DemoteCommands {
  /** The demote the other way round: the side given as primary is demoted, the other one stays primary. */
  readonly swapped: string;
  /** `zfailover status ...` for this job. */
  readonly status: string;
}

export interface DemotePlan {
  readonly kind: 'demote';
  /** The new primary's epoch, carried by the demoted side. */
  readonly epoch: number;
  /** The aside dataset that keeps the diverged writes, or null when nothing diverged. */
  readonly aside: string | null;
  /** Run the `demote` hooks (something on the target changes). */
  readonly hooks: boolean;
  readonly groups: readonly OpGroup[];
  /** Datasets that exist only on the demoted side: they stay in the aside tree only. */
  readonly asideOnly: readonly string[];
  readonly notes: readonly string[];
}

export type DemoteDecision = DemotePlan | Refusal;

export const decideDemote = (input: DemoteInput): DemoteDecision => {
  const { source, target } = input;
  const s = rootOf(source);
  if (!s) return refuse('unsafe', `the primary ${source.root} does not exist`);
  const t = rootOf(target);
  if (sourceRole(s) !== 'primary') {
    // Sides swapped (the side to demote is the primary): the demote the other way round is the fix.
    const swapped =
      t?.role === 'primary' && input.commands ? fixLine(input.commands.swapped, `${t.name} is the primary: demotes ${s.name} instead`) : undefined;
    const hint =
      swapped ??
      (input.commands
        ? fixLine(input.commands.status, 'shows which side serves and each epoch; promote the side that should serve first')
        : 'promote the side that should serve first');
    return refuse('source-not-primary', `${s.name} is not primary (role=${s.role}): demote makes a replica of a primary`, hint);
  }
  const epoch = epochOf(s);
  const tEpoch = epochOf(t);
  if (t && t.role === 'primary' && tEpoch >= epoch) {
    const hint = input.commands
      ? fixLine(input.commands.swapped, `demotes ${s.name} instead; check first which side serves: ${input.commands.status}`)
      : 'see which side serves: zfailover status; demote the other side';
    return refuse('unsafe', `${t.name} is primary with epoch ${tEpoch}, not older than ${s.name}'s ${epoch}: it is the one to keep`, hint);
  }
  if (t && t.role !== 'primary' && tEpoch > epoch) {
    const hint = input.commands ? fixLine(input.commands.status, 'shows which side serves and each epoch') : 'see which side serves: zfailover status';
    return refuse('target-epoch-higher', `${t.name} is a replica of epoch ${tEpoch}, above ${s.name}'s ${epoch}`, hint);
  }
  if (input.aside && rebuilding(input)) return resumeRebuild(input, epoch);
  if (!t) {
    return {
      kind: 'demote',
      epoch,
      aside: null,
      hooks: false,
      groups: [],
      asideOnly: [],
      notes: [`${target.root} does not exist: the first sync creates it as a replica`],
    };
  }

  // Per dataset: the common snapshot, and whether anything exists after it on the demoted side. A dataset that
  // shares no snapshot with the primary (nor, then, do its children) stays in the aside tree only; the first
  // sync sends it in full. Nothing of it is destroyed, as with diverged writes.
  const { commons, asideOnly, unrelated } = commonsOf(target, source);
  let diverged = asideOnly.length > 0 || unrelated.length > 0;
  let unknownWrites = false;
  for (const [rel, c] of commons) {
    const d = target.datasets.get(rel)!;
    if (snapshotsAfter(d.versions, c).length > 0) diverged = true;
    // Unknown `written` (zfs-fuse) matters only where something could write: a readonly replica cannot.
    if (d.written === null) unknownWrites ||= !(d.readonly === true && t.role === 'replica');
    else if (d.written > 0) diverged = true;
  }
  const fence: ZfsOp[] = relsTopDown(target)
    .map((rel) => target.datasets.get(rel)!)
    .filter((d) => d.readonly !== true)
    .map((d) => ({ op: 'set', dataset: d.name, props: { readonly: 'on' } }));
  const groups: OpGroup[] = [];
  if (fence.length > 0) groups.push({ side: 'replica', what: 'stop writes on the side to demote', ops: fence });

  // Unknown `written` (zfs-fuse): a snapshot captures whatever was written; it then counts as diverged.
  if (diverged || unknownWrites) {
    if (!t.name.includes('/'))
      return refuse('unsafe', `${t.name} is a pool's root dataset: its diverged writes cannot be set aside`, 'replicate a dataset below the pool root');
    const snap = formatDivergedSnapshotName(epoch, input.now);
    groups.push({ side: 'replica', what: 'snapshot its last writes', ops: [{ op: 'snapshot', snapshot: `${t.name}@${snap}`, recursive: true }] });
    groups.push({
      side: 'replica',
      what: `set its tree aside as ${input.asideName}`,
      ops: [...unmountAll(target), { op: 'rename', from: t.name, to: input.asideName }],
    });
    const mounts = relsTopDown(target).map((rel) => ({ rel, d: target.datasets.get(rel)! }));
    groups.push(...rebuild(target.root, input.asideName, commons, epoch, input.now, mountable(mounts, input.asideName), target));
    return { kind: 'demote', epoch, aside: input.asideName, hooks: true, groups, asideOnly, notes: fullSendNotes(unrelated, s.name) };
  }
  // Nothing after the common snapshots: only the marks change.
  groups.push({ side: 'replica', what: `mark it a replica (epoch ${epoch})`, ops: [...replicaMarks(target, target.root, epoch), ...unmountAll(target)] });
  const needed = groups.some((g) => g.ops.length > 0);
  return { kind: 'demote', epoch, aside: null, hooks: needed && t.role === 'primary', groups, asideOnly: [], notes: [] };
};

/**
 * Clone each dataset back at its common snapshot (parents first) and promote the clone; then the marks. `asideTree`
 * is the tree set aside (as listed before or after its rename): it tells a zvol from a filesystem.
 */
const rebuild = (
  root: string,
  aside: string,
  commons: ReadonlyMap<string, Version>,
  epoch: number,
  now: number,
  asideMounts: readonly ZfsOp[],
  asideTree: TreeView,
  existing?: TreeView,
): OpGroup[] => {
  const ops: ZfsOp[] = [];
  const rels = [...commons.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.split('/').length - b.split('/').length || (a < b ? -1 : 1)));
  for (const rel of rels) {
    const name = joinRel(root, rel);
    const have = existing?.datasets.get(rel);
    // Readonly from birth: nothing but the next receive may write into it. zfs-fuse mounts a clone whatever
    // canmount says, so it is unmounted right away (a mounted replica gets modified, as sync knows).
    // Marked a replica from birth as well: sync takes an unmarked source for the primary of epoch 0.
    const marks: Record<string, string> = rel === '' ? { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(epoch) } : {};
    if (!have) {
      // A zvol (a VM disk) has no canmount and nothing to unmount: OpenZFS refuses the property on it.
      const volume = asideTree.datasets.get(rel)?.type === 'volume';
      const common = commons.get(rel)!;
      const props = volume ? { readonly: 'on', ...marks, [PROP_REBUILT]: common.guid } : { canmount: 'noauto', readonly: 'on', ...marks };
      ops.push({ op: 'clone', snapshot: `${joinRel(aside, rel)}@${common.name}`, dataset: name, props });
      if (!volume) ops.push({ op: 'unmount', dataset: name });
    }
    const cloneOfAside = have?.origin != null && (have.origin.startsWith(`${aside}@`) || have.origin.startsWith(`${aside}/`));
    if (!have || cloneOfAside) ops.push({ op: 'promote-clone', dataset: name });
    if (have && have.readonly !== true) ops.push({ op: 'set', dataset: name, props: { readonly: 'on' } });
  }
  const c = commons.get('');
  const marks: ZfsOp[] = [
    ...(c
      ? [
          {
            op: 'set',
            dataset: aside,
            props: { [PROP_DIVERGED]: formatPromotionPoint({ epoch, snapshot: c.name, guid: c.guid, time: Math.floor(now / 1000) }) },
          } as ZfsOp,
        ]
      : []),
    // The aside tree is nobody's primary or replica: its role would otherwise still say primary.
    { op: 'inherit', dataset: aside, prop: PROP_ROLE },
    { op: 'inherit', dataset: aside, prop: PROP_EPOCH },
    { op: 'inherit', dataset: aside, prop: PROP_PROMOTED },
    // With no common snapshot at the root there is nothing to re-create: the first sync creates it (marked).
    ...(c ? [{ op: 'set', dataset: root, props: { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(epoch) } } as ZfsOp] : []),
  ];
  return [
    { side: 'replica', what: 're-create it at the common snapshots (clone and promote: nothing is copied)', ops },
    { side: 'replica', what: `mark it a replica (epoch ${epoch}) and the aside tree as diverged`, ops: marks },
    ...(asideMounts.length > 0 ? [{ side: 'replica' as const, what: 'mount the aside tree (readonly) for reading', ops: asideMounts }] : []),
  ];
};

/**
 * The target is still where an interrupted demote left it: missing, or re-created from the aside and holding
 * nothing of its own since (a stale record after the tree went on to other things is not resumed: the normal
 * path keeps whatever it holds now in a new aside).
 */
const rebuilding = (input: DemoteInput): boolean => {
  const t = rootOf(input.target);
  if (!t) return true;
  if (t.role === 'primary') return false;
  const aside = input.aside!.root;
  for (const [rel, d] of input.target.datasets) {
    if (d.origin !== null && (d.origin.startsWith(`${aside}@`) || d.origin.startsWith(`${aside}/`))) continue;
    const src = input.source.datasets.get(rel);
    const c = src ? newestCommon(src.versions, d.versions) : null;
    if (!c || snapshotsAfter(d.versions, c.target).length > 0 || (d.written !== null && d.written > 0)) return false;
  }
  return true;
};

/** An earlier demote renamed the tree aside and stopped: finish the clones from what exists now. */
const resumeRebuild = (input: DemoteInput, epoch: number): DemoteDecision => {
  const aside = input.aside!;
  // Once its clone was promoted, the shared history lives in the re-created dataset, not in the aside.
  const { commons, asideOnly, unrelated } = commonsOf(aside, input.source, input.target);
  const mounts = mountable(
    relsTopDown(aside)
      .map((rel) => ({ rel, d: aside.datasets.get(rel)! }))
      .filter((x) => x.d.mounted !== true),
    aside.root,
  );
  return {
    kind: 'demote',
    epoch,
    aside: aside.root,
    hooks: false,
    groups: rebuild(input.target.root, aside.root, commons, epoch, input.now, mounts, aside, input.target),
    asideOnly,
    notes: ['finishing an interrupted demote', ...fullSendNotes(unrelated, input.source.root)],
  };
};

/**
 * Per dataset of `tree` (the side to demote, or an aside tree), its newest snapshot shared with the primary.
 * `also` adds versions a rebuilt dataset holds now. Datasets the primary lacks are aside only; one without a
 * common snapshot, and everything below it (its parent will not be re-created), is unrelated.
 */
const commonsOf = (tree: TreeView, primary: TreeView, also?: TreeView) => {
  const commons = new Map<string, Version>();
  const asideOnly: string[] = [];
  const unrelated: string[] = [];
  const below = (rel: string) => unrelated.some((u) => u === '' || rel.startsWith(`${u}/`));
  for (const rel of relsTopDown(tree)) {
    const d = tree.datasets.get(rel)!;
    const src = primary.datasets.get(rel);
    if (!src) asideOnly.push(d.name);
    else if (below(rel)) continue;
    else {
      const c = newestCommon(src.versions, [...d.versions, ...(also?.datasets.get(rel)?.versions ?? [])]);
      if (c) commons.set(rel, c.target);
      else unrelated.push(rel);
    }
  }
  return { commons, asideOnly, unrelated: unrelated.map((rel) => joinRel(tree.root, rel)) };
};

const fullSendNotes = (unrelated: readonly string[], primary: string): string[] =>
  unrelated.length > 0 ? [`${unrelated.join(', ')} shared no snapshot with ${primary}: kept aside only, the first sync sends it in full`] : [];

const replicaMarks = (tree: TreeView, root: string, epoch: number): ZfsOp[] => {
  const ops: ZfsOp[] = [];
  const r = rootOf(tree)!;
  if (!(r.role === 'replica' && r.roleSource === 'local' && r.epoch === epoch))
    ops.push({ op: 'set', dataset: root, props: { [PROP_ROLE]: 'replica', [PROP_EPOCH]: String(epoch) } });
  for (const rel of relsTopDown(tree)) {
    const d = tree.datasets.get(rel)!;
    if (rel !== '' && d.roleSource === 'local' && d.role !== null) ops.push({ op: 'inherit', dataset: d.name, prop: PROP_ROLE });
    if (d.type === 'filesystem' && d.canmount === 'on') ops.push({ op: 'set', dataset: d.name, props: { canmount: 'noauto' } });
  }
  ops.push(...dropPromotionPoints(tree));
  return ops;
};

/** Mounts of the aside copies of these datasets (parents first), where they have a mountpoint. */
const mountable = (ds: readonly { rel: string; d: { type: string; canmount: string | null; mountpoint: string | null } }[], aside: string): ZfsOp[] =>
  ds
    .filter(({ d }) => d.type === 'filesystem' && d.canmount !== 'off' && d.mountpoint !== 'none' && d.mountpoint !== 'legacy')
    .map(({ rel }) => ({ op: 'mount', dataset: joinRel(aside, rel) }));

const unmountAll = (tree: TreeView): ZfsOp[] =>
  relsTopDown(tree)
    .reverse()
    .map((rel) => tree.datasets.get(rel)!)
    .filter((d) => d.type === 'filesystem' && d.mounted !== false)
    .map((d) => ({ op: 'unmount', dataset: d.name }));
