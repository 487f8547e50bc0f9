// A model of two ZFS sites for the failover property test: datasets with snapshots (GUIDs, data as sets of
// write ids), local properties, clones/origins, and a network link that can be cut. The failover decisions
// (src/core/failover) and the real planner and role rules of sync run against it; their zfs operations are
// interpreted here exactly as zfs would apply them, and an operation zfs would reject is a test failure.
import type { DatasetInfo } from '../../../src/core/dataset.js';
import type { ZfsOp } from '../../../src/core/failover/ops.js';
import type { TreeView } from '../../../src/core/failover/tree.js';
import { PROP_EPOCH, PROP_ROLE } from '../../../src/core/names.js';
import { applySteps, planReplication, type TargetState } from '../../../src/core/plan.js';
import { newestCommon, snapshotsAfter } from '../../../src/core/common.js';
import type { Version } from '../../../src/core/versions.js';
import { sourceRoleUpdate, targetRoleUpdate } from '../../../src/sync/roles.js';

export interface Snap {
  readonly name: string;
  readonly guid: string;
  readonly txg: number;
  readonly creation: number;
  readonly data: ReadonlySet<number>;
}

export interface Ds {
  name: string;
  snaps: Snap[];
  live: Set<number>;
  props: Map<string, string>;
  /** `pool/ds@snap` of the snapshot this clone was made from, or null. */
  origin: string | null;
  mounted: boolean;
}

export type SiteId = 'A' | 'B';

export interface Site {
  readonly id: SiteId;
  /** The job's dataset on this site. */
  readonly root: string;
  readonly datasets: Map<string, Ds>;
  /** OpenZFS knows `written`; zfs-fuse does not. */
  readonly knowsWritten: boolean;
}

export class ModelError extends Error {}

export class World {
  readonly sites: Record<SiteId, Site>;
  partitioned = false;
  /** ms; advances 15 s per operation. */
  clock = Date.UTC(2026, 10, 26, 3, 0, 0);
  private txg = 100;
  private guidSeq = 1;
  private writeSeq = 1;
  /** Every write ever made: none may disappear from every dataset of every site. */
  readonly writes = new Set<number>();

  /**
   * Sync snapshots a source whatever its role (what src/sync does today). False models the proposed rule that a
   * replica source is never snapshotted (its data only changes by receives; a snapshot there only breaks its own
   * incoming replication with target-newer).
   */
  replicaSourceSnapshots = true;

  constructor(knowsWritten: { A: boolean; B: boolean }) {
    this.sites = {
      A: { id: 'A', root: 'pa/data', datasets: new Map(), knowsWritten: knowsWritten.A },
      B: { id: 'B', root: 'pb/data', datasets: new Map(), knowsWritten: knowsWritten.B },
    };
    // A is the primary at the start, B does not exist yet (the first sync creates it).
    this.sites.A.datasets.set('pa/data', { name: 'pa/data', snaps: [], live: new Set(), props: new Map(), origin: null, mounted: true });
  }

  other(id: SiteId): SiteId {
    return id === 'A' ? 'B' : 'A';
  }

  tick(): void {
    this.clock += 15_000;
  }

  nextGuid(): string {
    return String(this.guidSeq++);
  }

  // ---- what zfs would list ------------------------------------------------------------------

  info(site: Site, d: Ds): DatasetInfo {
    const versions: Version[] = d.snaps.map((s) => ({ kind: 'snapshot', dataset: d.name, name: s.name, guid: s.guid, createtxg: s.txg, creation: s.creation }));
    const newest = d.snaps.at(-1);
    const dirty = !newest || !sameSet(newest.data, d.live);
    const role = d.props.get(PROP_ROLE);
    const epoch = d.props.get(PROP_EPOCH);
    return {
      name: d.name,
      type: 'filesystem',
      guid: `ds-${d.name}`,
      createtxg: 1,
      creation: 0,
      versions,
      written: site.knowsWritten ? (dirty ? 4096 : 0) : null,
      resumeToken: null,
      readonly: d.props.get('readonly') === 'on',
      role: role === 'primary' || role === 'replica' ? role : null,
      roleSource: role ? 'local' : 'none',
      epoch: epoch === undefined ? null : Number(epoch),
      encryption: null,
      encryptionRoot: null,
      keyStatus: null,
      mountpoint: `/${d.name}`,
      canmount: d.props.get('canmount') ?? 'on',
      mounted: d.mounted,
      origin: d.origin,
      used: null,
      available: null,
      referenced: null,
      extra: {},
    };
  }

  /** The tree under `root` as the site's own host lists it. */
  tree(id: SiteId, root = this.sites[id].root): TreeView {
    const site = this.sites[id];
    const datasets = new Map<string, DatasetInfo>();
    for (const d of site.datasets.values()) {
      if (d.name === root) datasets.set('', this.info(site, d));
      else if (d.name.startsWith(`${root}/`)) datasets.set(d.name.slice(root.length + 1), this.info(site, d));
    }
    return { root, datasets };
  }

  /** The tree as seen from the other site: null when the link is cut. */
  remoteTree(from: SiteId, of: SiteId, root?: string): TreeView | null {
    return from !== of && this.partitioned ? null : this.tree(of, root);
  }

  // ---- what the service and sync do --------------------------------------------------------

  /** The service writes into the job's dataset wherever it is mounted writable. */
  write(id: SiteId): boolean {
    const d = this.sites[id].datasets.get(this.sites[id].root);
    if (!d || d.props.get('readonly') === 'on') return false;
    const w = this.writeSeq++;
    d.live.add(w);
    this.writes.add(w);
    return true;
  }

  snapshot(id: SiteId, name: string): void {
    const d = this.sites[id].datasets.get(this.sites[id].root);
    if (!d) return;
    this.addSnap(d, name);
  }

  private addSnap(d: Ds, name: string): void {
    if (d.snaps.some((s) => s.name === name)) throw new ModelError(`snapshot ${d.name}@${name} exists`);
    d.snaps.push({ name, guid: this.nextGuid(), txg: ++this.txg, creation: Math.floor(this.clock / 1000), data: new Set(d.live) });
  }

  /**
   * One sync cycle from -> to, as src/sync does it: sync snapshot, role of an unmarked source, plan (the real
   * planner, no --rollback-target), receive, role update of the target. Returns the outcome for the log.
   */
  sync(from: SiteId, to: SiteId): string {
    if (this.partitioned) return 'unreachable';
    const src = this.sites[from];
    const dst = this.sites[to];
    const s = src.datasets.get(src.root);
    if (!s) return 'no source';
    // Where `written` is known, sync snapshots only a changed source (OpenZFS); zfs-fuse snapshots every cycle.
    const changed = !src.knowsWritten || s.snaps.length === 0 || !sameSet(s.snaps.at(-1)!.data, s.live);
    if (changed && (this.replicaSourceSnapshots || s.props.get(PROP_ROLE) !== 'replica')) this.addSnap(s, `sync-${this.txg + 1}`);
    const srcUpdate = sourceRoleUpdate(this.info(src, s));
    if (srcUpdate) for (const [k, v] of Object.entries(srcUpdate)) s.props.set(k, v);
    const sInfo = this.info(src, s);
    const t = dst.datasets.get(dst.root) ?? null;
    const tBefore = t ? this.info(dst, t) : null;
    const epochBefore = { source: sInfo.epoch ?? 0, target: tBefore?.epoch ?? null };
    const target: TargetState | null = tBefore && {
      versions: tBefore.versions,
      written: tBefore.written,
      resume: null,
      role: tBefore.role,
      epoch: tBefore.epoch,
    };
    const d = planReplication({ versions: sInfo.versions, epoch: sInfo.epoch }, target);
    let received = false;
    if (d.kind === 'plan') {
      // A real receive fails into a modified target even where the host cannot tell beforehand (zfs-fuse).
      if (t && t.snaps.length > 0 && !sameSet(t.snaps.at(-1)!.data, t.live)) return 'receive failed: destination modified';
      const after = applySteps(target ?? { versions: [], written: 0, resume: null, role: null, epoch: null }, d.steps, {
        versions: sInfo.versions,
        epoch: sInfo.epoch,
      });
      const into: Ds = t ?? {
        name: dst.root,
        snaps: [],
        live: new Set(),
        props: new Map([
          ['readonly', 'on'],
          ['canmount', 'noauto'],
        ]),
        origin: null,
        mounted: false,
      };
      if (!t) dst.datasets.set(dst.root, into);
      for (const v of after.versions) {
        if (into.snaps.some((x) => x.guid === v.guid)) continue;
        const from = s.snaps.find((x) => x.guid === v.guid)!;
        into.snaps.push({ ...from, txg: ++this.txg });
      }
      into.live = new Set(into.snaps.at(-1)!.data);
      received = true;
    }
    const tNow = dst.datasets.get(dst.root) ?? null;
    const update = targetRoleUpdate(sInfo, tBefore, received);
    if (update && tNow) for (const [k, v] of Object.entries(update)) tNow.props.set(k, v);
    const sAfter = Number(s.props.get(PROP_EPOCH) ?? 0);
    const tAfter = tNow?.props.has(PROP_EPOCH) ? Number(tNow.props.get(PROP_EPOCH)) : null;
    if (sAfter < epochBefore.source || (epochBefore.target !== null && (tAfter === null || tAfter < epochBefore.target))) {
      throw new ModelError(`sync ${from}->${to} lowered an epoch: ${JSON.stringify(epochBefore)} -> ${sAfter}/${tAfter}`);
    }
    return d.kind === 'conflict' ? `refused: ${d.conflict}` : d.kind;
  }

  // ---- zfs operations as zfs applies them --------------------------------------------------

  apply(id: SiteId, op: ZfsOp): void {
    const site = this.sites[id];
    const get = (name: string): Ds => {
      const d = site.datasets.get(name);
      if (!d) throw new ModelError(`${op.op}: ${name} does not exist on ${id}`);
      return d;
    };
    const snapOf = (full: string): { ds: Ds; snap: Snap } => {
      const [name, short] = full.split('@') as [string, string];
      const ds = get(name);
      const snap = ds.snaps.find((s) => s.name === short);
      if (!snap) throw new ModelError(`${op.op}: ${full} does not exist on ${id}`);
      return { ds, snap };
    };
    switch (op.op) {
      case 'set':
        for (const [k, v] of Object.entries(op.props)) get(op.dataset).props.set(k, v);
        return;
      case 'inherit':
        get(op.dataset).props.delete(op.prop);
        return;
      case 'mount':
        get(op.dataset).mounted = true;
        return;
      case 'unmount':
        get(op.dataset).mounted = false;
        return;
      case 'snapshot': {
        const [name, short] = op.snapshot.split('@') as [string, string];
        this.addSnap(get(name), short);
        return;
      }
      case 'rollback': {
        const { ds, snap } = snapOf(op.snapshot);
        if (ds.snaps.at(-1) !== snap) throw new ModelError(`rollback: ${op.snapshot} is not the newest snapshot (zfs needs -r)`);
        ds.live = new Set(snap.data);
        return;
      }
      case 'abort-resume':
        get(op.dataset);
        return;
      case 'rename': {
        if (site.datasets.has(op.to)) throw new ModelError(`rename: ${op.to} exists`);
        const d = get(op.from);
        site.datasets.delete(op.from);
        d.name = op.to;
        site.datasets.set(op.to, d);
        for (const x of site.datasets.values()) if (x.origin?.startsWith(`${op.from}@`)) x.origin = `${op.to}${x.origin.slice(op.from.length)}`;
        return;
      }
      case 'clone': {
        if (site.datasets.has(op.dataset)) throw new ModelError(`clone: ${op.dataset} exists`);
        const { snap } = snapOf(op.snapshot);
        const props = new Map(Object.entries(op.props));
        site.datasets.set(op.dataset, { name: op.dataset, snaps: [], live: new Set(snap.data), props, origin: op.snapshot, mounted: false });
        return;
      }
      case 'promote-clone': {
        const d = get(op.dataset);
        if (!d.origin) throw new ModelError(`promote: ${op.dataset} is not a clone`);
        const { ds: parent, snap } = snapOf(d.origin);
        const moved = parent.snaps.filter((s) => s.txg <= snap.txg);
        if (moved.some((s) => d.snaps.some((x) => x.name === s.name))) throw new ModelError('promote: snapshot name conflict');
        parent.snaps = parent.snaps.filter((s) => s.txg > snap.txg);
        d.snaps = [...moved, ...d.snaps].sort((a, b) => a.txg - b.txg);
        d.origin = parent.origin;
        parent.origin = `${d.name}@${snap.name}`;
        return;
      }
    }
  }

  // ---- invariants ----------------------------------------------------------------------------

  /** Never two primaries with the same epoch; no writable dataset that is not a primary; no write lost. */
  checkInvariants(): void {
    const primaries: string[] = [];
    const epochs = new Map<number, string>();
    for (const site of Object.values(this.sites)) {
      for (const d of site.datasets.values()) {
        const role = d.props.get(PROP_ROLE);
        if (role === 'primary') {
          const e = Number(d.props.get(PROP_EPOCH) ?? 0);
          const seen = epochs.get(e);
          if (seen) throw new ModelError(`two primaries with epoch ${e}: ${seen} and ${site.id}:${d.name}`);
          epochs.set(e, `${site.id}:${d.name}`);
          primaries.push(d.name);
        }
        if (d.name === site.root && d.props.get('readonly') !== 'on' && role !== 'primary') {
          throw new ModelError(`${site.id}:${d.name} is writable but its role is ${role ?? 'unset'}`);
        }
      }
    }
    const kept = new Set<number>();
    for (const site of Object.values(this.sites)) {
      for (const d of site.datasets.values()) {
        for (const w of d.live) kept.add(w);
        for (const s of d.snaps) for (const w of s.data) kept.add(w);
      }
    }
    for (const w of this.writes) if (!kept.has(w)) throw new ModelError(`write ${w} is gone from every dataset`);
  }

  /** Data of the job's dataset on a site (live), for zero-loss checks. */
  liveData(id: SiteId): ReadonlySet<number> {
    return this.sites[id].datasets.get(this.sites[id].root)?.live ?? new Set();
  }

  common(a: SiteId, b: SiteId): Version | null {
    const ta = this.tree(a).datasets.get('');
    const tb = this.tree(b).datasets.get('');
    if (!ta || !tb) return null;
    return newestCommon(ta.versions, tb.versions)?.target ?? null;
  }

  targetOnly(a: SiteId, b: SiteId): Version[] {
    const ta = this.tree(a).datasets.get('');
    const tb = this.tree(b).datasets.get('');
    const c = ta && tb ? newestCommon(tb.versions, ta.versions) : null;
    return ta && c ? snapshotsAfter(ta.versions, c.target) : [];
  }
}

export const sameSet = (a: ReadonlySet<number>, b: ReadonlySet<number>): boolean => a.size === b.size && [...a].every((x) => b.has(x));
