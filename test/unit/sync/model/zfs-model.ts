// A small in-memory ZFS behind the sync engine's endpoint seam (src/sync/endpoint.ts), for model-based tests of
// runCycle without root: hosts with datasets, snapshots (GUID, per-pool createtxg, data as a set of write ids),
// bookmarks, user holds, resume tokens, `written`, the capabilities of zfs-fuse or OpenZFS, and injected faults
// (a kill at a named phase, a full target, a lost connection). Each verb applies what zfs would apply (and
// refuses what zfs would refuse, with the adapter's error reasons); a refusal zfs would not make is a model bug.
// Limits: docs/design.md §4.3.1 (no mounts, no clones, no encryption, one pool per host, a kill unwinds the stack).
import type { Capabilities, HostSpec } from '../../../../src/zfs/types.js';
import type { DatasetInfo, Listing } from '../../../../src/core/dataset.js';
import { compareVersions, fullName, type Version } from '../../../../src/core/versions.js';
import type { ResumeTokenInfo } from '../../../../src/zfs/commands-dataset.js';
import type { EndpointPool, SendStep, SyncEndpoint, TransferEnds, TransferOptions } from '../../../../src/sync/endpoint.js';
import type { JobSpec } from '../../../../src/sync/job.js';
import type { SyncPhase } from '../../../../src/sync/phases.js';
import { ZfsError, type ZfsFailureReason } from '../../../../src/zfs/errors.js';
import { HostUnreachableError } from '../../../../src/errors.js';
import { PROP_EPOCH, PROP_ROLE } from '../../../../src/core/names.js';

export const OPENZFS: Capabilities = {
  implementation: 'openzfs',
  version: '2.3.2',
  listParsable: true,
  listTypes: true,
  bookmarks: true,
  resume: true,
  holds: true,
  holdsList: true,
  written: true,
  multiSnapshot: true,
  destroyList: true,
  recvUnmounted: true,
  recvProps: true,
  sendEstimate: true,
  rawSend: true,
  compressedSend: true,
  largeBlocks: true,
  embeddedData: true,
  encryption: true,
  poolListParsable: true,
};

export const ZFS_FUSE: Capabilities = {
  ...OPENZFS,
  implementation: 'zfs-fuse',
  version: '0.7.0',
  listParsable: false,
  listTypes: false,
  bookmarks: false,
  resume: false,
  holdsList: false,
  written: false,
  multiSnapshot: false,
  destroyList: false,
  recvUnmounted: false,
  recvProps: false,
  sendEstimate: false,
  rawSend: false,
  compressedSend: false,
  largeBlocks: false,
  embeddedData: false,
  encryption: false,
  poolListParsable: false,
};

export interface Snap {
  readonly name: string;
  readonly guid: string;
  readonly txg: number;
  readonly creation: number;
  readonly data: ReadonlySet<number>;
  readonly holds: Set<string>;
}

export interface Bookmark {
  readonly name: string;
  readonly guid: string;
  readonly txg: number;
  readonly creation: number;
}

/** A partial receive (`recv -s` interrupted): what its token says, self-contained like a real token. */
interface TokenFields {
  readonly fromGuid: string | null;
  readonly toGuid: string;
  readonly toName: string;
  readonly flags: string[];
  readonly bytes: number;
}

export interface Ds {
  readonly name: string;
  live: Set<number>;
  snaps: Snap[];
  bookmarks: Bookmark[];
  props: Map<string, string>;
  /** receive_resume_token, when a resumable receive was interrupted. */
  token: string | null;
  /** Created by an interrupted full receive: it goes away with `recv -A`. */
  inconsistent: boolean;
}

export class Host {
  readonly datasets = new Map<string, Ds>();
  /** Every operation fails as host unreachable. */
  down = false;
  /** Receives fail with ENOSPC after the first snapshot of the stream (leaving a resumable state where -s). */
  full = false;
  /** The next transfers into this host lose the connection mid-stream (count). */
  cutTransfers = 0;
  constructor(
    readonly label: string,
    readonly caps: Capabilities,
  ) {}
}

/** What happened, for the invariants: every transfer with the state it started from, every destroy. */
export type ModelEvent =
  | {
      readonly kind: 'transfer';
      readonly step: SendStep['kind'];
      readonly target: string;
      readonly fromGuid: string | null;
      readonly fromBookmark: boolean;
      /** Source snapshots an `-i` step from a snapshot jumps over (core/plan.ts leaves this job's superseded sync snapshots out). */
      readonly jumped: readonly string[];
      /** The source snapshot right after the step's end (null at the newest). */
      readonly after: string | null;
      readonly toGuid: string;
      /** The source's newest snapshot and the newest version both sides share, when the transfer started. */
      readonly newestSourceGuid: string | null;
      readonly newestCommonGuid: string | null;
      readonly ok: boolean;
    }
  | { readonly kind: 'destroy'; readonly host: string; readonly dataset: string; readonly guid: string; readonly name: string };

export class KilledError extends Error {}

export class World {
  readonly hosts = new Map<string, Host>();
  clock = Date.UTC(2026, 0, 5, 3, 0, 0);
  private txg = 100;
  private guidSeq = 7_000_000_000_000_000_001n;
  private writeSeq = 1;
  readonly events: ModelEvent[] = [];
  /** Source dataset -> target datasets (host label + name) it replicates to, for the "last common" invariant. */
  readonly pairs: { source: { host: string; name: string }; target: { host: string; name: string } }[] = [];
  /** Invariant violations found inside the model (destroying a last common snapshot). */
  readonly violations: string[] = [];
  private seq = 0;

  addHost(label: string, caps: Capabilities): Host {
    const h = new Host(label, caps);
    this.hosts.set(label, h);
    return h;
  }

  host(label: string): Host {
    const h = this.hosts.get(label);
    if (!h) throw new Error(`model: no host ${label}`);
    return h;
  }

  nextTxg(): number {
    return ++this.txg;
  }
  nextGuid(): string {
    return String(this.guidSeq++);
  }
  nextSeq(): number {
    return ++this.seq;
  }

  createDataset(host: string, name: string, props: Record<string, string> = {}): Ds {
    const d: Ds = { name, live: new Set(), snaps: [], bookmarks: [], props: new Map(Object.entries(props)), token: null, inconsistent: false };
    this.host(host).datasets.set(name, d);
    return d;
  }

  ds(host: string, name: string): Ds | undefined {
    return this.host(host).datasets.get(name);
  }

  /** An application write into a dataset. */
  write(host: string, name: string): void {
    const d = this.ds(host, name);
    if (d && !d.inconsistent) d.live.add(this.writeSeq++);
  }

  /** An operator's snapshot (zfs snapshot). */
  takeSnapshot(host: string, name: string, snap: string): Snap | null {
    const d = this.ds(host, name);
    if (!d || d.inconsistent || d.snaps.some((s) => s.name === snap)) return null;
    const s: Snap = {
      name: snap,
      guid: this.nextGuid(),
      txg: this.nextTxg(),
      creation: Math.floor(this.clock / 1000),
      data: new Set(d.live),
      holds: new Set(),
    };
    d.snaps.push(s);
    return s;
  }

  /** An operator's destroy: refused (false) where zfs refuses it (held). Not checked against the invariants. */
  operatorDestroy(host: string, name: string, snap: string): boolean {
    const d = this.ds(host, name);
    const s = d?.snaps.find((x) => x.name === snap);
    if (!d || !s || s.holds.size > 0) return false;
    d.snaps = d.snaps.filter((x) => x !== s);
    return true;
  }

  /** Newest snapshot of a dataset (by its own pool's txg). */
  static newest(d: Ds | undefined): Snap | undefined {
    return d?.snaps.reduce<Snap | undefined>((m, s) => (!m || s.txg > m.txg ? s : m), undefined);
  }

  /** GUID of the newest version the source (snapshot or bookmark) shares with the target's snapshots. */
  static newestCommon(source: Ds | undefined, target: Ds | undefined): string | null {
    if (!source || !target) return null;
    const onTarget = new Set(target.snaps.map((s) => s.guid));
    let best: { guid: string; txg: number } | null = null;
    for (const v of [...source.snaps, ...source.bookmarks]) if (onTarget.has(v.guid) && (!best || v.txg > best.txg)) best = v;
    return best?.guid ?? null;
  }

  /** The sync destroys `guid` on host:dataset: a violation when it is a last common snapshot of a pair. */
  checkDestroy(host: string, dataset: string, snap: Snap): void {
    this.events.push({ kind: 'destroy', host, dataset, guid: snap.guid, name: snap.name });
    for (const p of this.pairs) {
      const onSource = p.source.host === host && p.source.name === dataset;
      const onTarget = p.target.host === host && p.target.name === dataset;
      if (!onSource && !onTarget) continue;
      const common = World.newestCommon(this.ds(p.source.host, p.source.name), this.ds(p.target.host, p.target.name));
      if (common === snap.guid)
        this.violations.push(
          `destroyed the last common snapshot ${host}:${dataset}@${snap.name} (guid ${snap.guid}) of ${p.source.name} -> ${p.target.host}:${p.target.name}`,
        );
    }
  }

  info(host: Host, d: Ds): DatasetInfo {
    const versions: Version[] = [
      ...d.snaps.map((s): Version => ({
        kind: 'snapshot',
        dataset: d.name,
        name: s.name,
        guid: s.guid,
        createtxg: s.txg,
        creation: s.creation,
        userrefs: s.holds.size,
      })),
      ...(host.caps.bookmarks
        ? d.bookmarks.map((b): Version => ({ kind: 'bookmark', dataset: d.name, name: b.name, guid: b.guid, createtxg: b.txg, creation: b.creation }))
        : []),
    ].sort(compareVersions);
    const newest = World.newest(d);
    const dirty = newest ? !sameSet(newest.data, d.live) : d.live.size > 0;
    const role = d.props.get(PROP_ROLE);
    const epoch = d.props.get(PROP_EPOCH);
    return {
      name: d.name,
      type: 'filesystem',
      guid: `ds-${d.name}`,
      createtxg: 1,
      creation: 0,
      versions,
      written: host.caps.written ? (dirty ? 4096 : 0) : null,
      resumeToken: host.caps.resume ? d.token : null,
      readonly: d.props.get('readonly') === 'on',
      role: role === 'primary' || role === 'replica' ? role : null,
      roleSource: role ? 'local' : 'none',
      epoch: epoch === undefined ? null : Number(epoch),
      encryption: host.caps.encryption ? 'off' : null,
      encryptionRoot: null,
      keyStatus: null,
      mountpoint: `/${d.name}`,
      canmount: d.props.get('canmount') ?? 'on',
      mounted: false,
      origin: null,
      used: null,
      available: null,
      referenced: null,
      extra: {},
    };
  }
}

export const sameSet = (a: ReadonlySet<number>, b: ReadonlySet<number>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

const err = (host: Host, reason: ZfsFailureReason, argv: string[], message: string): ZfsError =>
  new ZfsError({ reason, argv, host: host.label, exitCode: 1, stderr: message, message: `${argv.slice(0, 2).join(' ')} on ${host.label}: ${message}` });

const split = (full: string, sep: '@' | '#'): [string, string] => {
  const i = full.indexOf(sep);
  if (i <= 0) throw new Error(`model: not a ${sep} name: ${full}`);
  return [full.slice(0, i), full.slice(i + 1)];
};

const encodeToken = (t: TokenFields): string => `1-${Buffer.from(JSON.stringify(t)).toString('hex')}`;
const decodeToken = (token: string): TokenFields | null => {
  try {
    return /^1-[0-9a-f]+$/.test(token) ? (JSON.parse(Buffer.from(token.slice(2), 'hex').toString()) as TokenFields) : null;
  } catch {
    return null;
  }
};

/** One run of the tool (one process): its endpoints, its death by a kill, its operations in sequence. */
export class ModelRun implements EndpointPool {
  dead = false;
  /** Sequence numbers of the first and last operation this run made (mutual exclusion of runs). */
  firstOp: number | null = null;
  lastOp: number | null = null;
  private readonly endpoints = new Map<string, ModelEndpoint>();

  constructor(
    readonly world: World,
    /** Kill the run at this phase (the n-th time it is reached). */
    readonly kill: { phase: SyncPhase; n: number } | null = null,
  ) {}

  endpoint(host: HostSpec | null): ModelEndpoint {
    const label = host?.host ?? 'local';
    let e = this.endpoints.get(label);
    if (!e) this.endpoints.set(label, (e = new ModelEndpoint(this, this.world.host(label))));
    return e;
  }

  /** The phase hook of this run: dies at the chosen phase; a dead run dies again at every later phase. */
  phase = (p: SyncPhase): void => {
    if (this.dead) throw new KilledError(`killed (already dead at ${p})`);
    if (this.kill && p === this.kill.phase && p !== 'stream-running' && --this.kill.n === 0) {
      this.dead = true;
      throw new KilledError(`killed at ${p}`);
    }
  };

  /** Every operation of this run passes here: a dead process does nothing more. */
  async enter(host: Host, argv: string[]): Promise<void> {
    if (this.dead) throw new ZfsError({ reason: 'killed', argv, host: host.label, exitCode: null, stderr: '', message: 'the run was killed' });
    const seq = this.world.nextSeq();
    this.firstOp ??= seq;
    this.lastOp = seq;
    await Promise.resolve();
    if (this.dead) throw new ZfsError({ reason: 'killed', argv, host: host.label, exitCode: null, stderr: '', message: 'the run was killed' });
    if (host.down) throw new HostUnreachableError(host.label, 'connection timed out');
  }

  describe(_job: JobSpec, step: SendStep, ends: TransferEnds): string {
    return `model: send ${step.kind} ${fullName(step.to)} | recv ${ends.target.endpoint.label}:${ends.target.name}`;
  }

  async transfer(job: JobSpec, step: SendStep, ends: TransferEnds, opts: TransferOptions): Promise<{ bytes: number | null }> {
    const src = (ends.source.endpoint as ModelEndpoint).host;
    const dst = (ends.target.endpoint as ModelEndpoint).host;
    const argv = ['zfs', 'receive', ends.target.name];
    await this.enter(src, ['zfs', 'send', fullName(step.to)]);
    await this.enter(dst, argv);
    const w = this.world;
    const sds = src.datasets.get(ends.source.dataset.name);
    const tds = dst.datasets.get(ends.target.name);
    const event = {
      kind: 'transfer' as const,
      step: step.kind,
      fromBookmark: step.kind === 'incremental' && step.from.kind === 'bookmark',
      target: `${dst.label}:${ends.target.name}`,
      toGuid: step.to.guid,
      newestSourceGuid: World.newest(sds)?.guid ?? null,
      newestCommonGuid: World.newestCommon(sds, tds),
      jumped: jumpedOver(step, sds),
      after: nextAfter(step, sds),
    };
    const fail = (e: Error, fromGuid: string | null): never => {
      w.events.push({ ...event, fromGuid, ok: false });
      throw e;
    };
    if (!sds) return fail(err(src, 'dataset-not-found', argv, `dataset does not exist`), null);
    const snapOf = (v: Version): Snap | undefined => sds.snaps.find((s) => s.name === v.name && s.guid === v.guid);
    const to = snapOf(step.to);
    if (!to) return fail(err(src, 'snapshot-not-found', ['zfs', 'send', fullName(step.to)], `could not find snapshot ${fullName(step.to)}`), null);

    // The stream: the snapshots it carries, in order, and its base.
    let stream: Snap[];
    let base: string | null;
    if (step.kind === 'full') {
      base = null;
      stream = [to];
      if (tds) return fail(err(dst, tds.token ? 'resume-state-exists' : 'target-exists', argv, `destination '${ends.target.name}' exists`), null);
      const parent = ends.target.name.includes('/') ? ends.target.name.slice(0, ends.target.name.lastIndexOf('/')) : null;
      if (parent && !dst.datasets.has(parent)) return fail(err(dst, 'dataset-not-found', argv, `parent of '${ends.target.name}' does not exist`), null);
    } else if (step.kind === 'incremental') {
      const fromV = step.from;
      const from =
        fromV.kind === 'snapshot'
          ? sds.snaps.find((s) => s.name === fromV.name && s.guid === fromV.guid)
          : sds.bookmarks.find((b) => b.name === fromV.name && b.guid === fromV.guid);
      if (!from)
        return fail(err(src, 'snapshot-not-found', ['zfs', 'send', fullName(fromV)], `incremental source ${fullName(fromV)} does not exist`), fromV.guid);
      if (from.txg >= to.txg) return fail(err(src, 'unknown', ['zfs', 'send'], 'incremental source must be earlier than destination'), fromV.guid);
      base = from.guid;
      stream =
        step.intermediates && fromV.kind === 'snapshot' ? sds.snaps.filter((s) => s.txg > from.txg && s.txg <= to.txg).sort((a, b) => a.txg - b.txg) : [to];
      if (!tds) return fail(err(dst, 'dataset-not-found', argv, `destination '${ends.target.name}' does not exist`), base);
      if (tds.token) return fail(err(dst, 'resume-state-exists', argv, 'destination contains partially-complete state from "zfs receive -s"'), base);
      const onTarget = tds.snaps.find((s) => s.guid === from.guid);
      if (!onTarget) return fail(err(dst, 'incremental-mismatch', argv, `most recent snapshot of ${ends.target.name} does not match incremental source`), base);
      if (World.newest(tds) !== onTarget)
        return fail(err(dst, 'target-has-newer-snapshots', argv, `destination ${ends.target.name} has been modified since most recent snapshot`), base);
      if (!sameSet(onTarget.data, tds.live))
        return fail(err(dst, 'target-modified', argv, `destination ${ends.target.name} has been modified since most recent snapshot`), base);
    } else {
      const t = decodeToken(step.token);
      if (!tds || tds.token !== step.token || !t) return fail(err(dst, 'resume-token-invalid', argv, 'resume token does not match the partial receive'), null);
      if (t.toGuid !== to.guid) return fail(err(src, 'resume-token-invalid', ['zfs', 'send', '-t'], 'token names another snapshot'), t.fromGuid);
      base = t.fromGuid;
      stream = [to];
    }

    opts.onSpawn([]);
    const resumable = job.resume && dst.caps.resume && src.caps.resume;
    const flags = [
      ...(job.send.compressed && ends.source.caps.compressedSend && ends.target.caps.compressedSend ? ['compressok'] : []),
      ...(job.send.embedded && ends.source.caps.embeddedData && ends.target.caps.embeddedData ? ['embedok'] : []),
      ...(job.send.largeBlocks && ends.source.caps.largeBlocks && ends.target.caps.largeBlocks ? ['largeblockok'] : []),
    ];
    // Where the stream breaks: a kill of this run, a full pool, a lost connection.
    let cut: { at: number; error: Error } | null = null;
    if (this.kill?.phase === 'stream-running' && --this.kill.n === 0) {
      this.dead = true;
      cut = {
        at: stream.length - 1,
        error: new ZfsError({ reason: 'killed', argv, host: dst.label, exitCode: null, stderr: '', message: 'killed mid-stream' }),
      };
    } else if (dst.full) {
      cut = { at: Math.min(1, stream.length - 1), error: err(dst, 'no-space', argv, 'out of space') };
    } else if (dst.cutTransfers > 0) {
      dst.cutTransfers--;
      cut = { at: stream.length - 1, error: new HostUnreachableError(dst.label, 'connection reset by peer') };
    }
    let prev = base;
    let target = tds;
    for (let i = 0; i < stream.length; i++) {
      const s = stream[i]!;
      if (cut && cut.at === i) {
        if (resumable) {
          const token = encodeToken({ fromGuid: prev, toGuid: s.guid, toName: `${sds.name}@${s.name}`, flags, bytes: 1024 });
          if (!target) {
            target = { name: ends.target.name, live: new Set(), snaps: [], bookmarks: [], props: new Map(), token, inconsistent: true };
            dst.datasets.set(target.name, target);
          } else target.token = token;
        }
        return fail(cut.error, base);
      }
      if (!target) {
        target = {
          name: ends.target.name,
          live: new Set(),
          snaps: [],
          bookmarks: [],
          props: new Map(dst.caps.recvProps ? [['readonly', 'on']] : []),
          token: null,
          inconsistent: false,
        };
        dst.datasets.set(target.name, target);
      }
      target.inconsistent = false;
      target.token = null;
      target.snaps.push({ name: s.name, guid: s.guid, txg: w.nextTxg(), creation: s.creation, data: new Set(s.data), holds: new Set() });
      target.live = new Set(s.data);
      prev = s.guid;
    }
    w.events.push({ ...event, fromGuid: base, ok: true });
    return { bytes: stream.length * 4096 };
  }
}

export class ModelEndpoint implements SyncEndpoint {
  constructor(
    private readonly run: ModelRun,
    readonly host: Host,
  ) {}

  get label(): string {
    return this.host.label;
  }
  private get world(): World {
    return this.run.world;
  }
  private ds(name: string, argv: string[]): Ds {
    const d = this.host.datasets.get(name);
    if (!d) throw err(this.host, 'dataset-not-found', argv, `dataset '${name}' does not exist`);
    return d;
  }
  private unsupported(argv: string[], what: string): ZfsError {
    return err(this.host, 'unsupported', argv, `${what} is not supported`);
  }

  async capabilities(): Promise<Capabilities> {
    await this.run.enter(this.host, ['zfs', '-?']);
    return this.host.caps;
  }
  async poolCapabilities(caps: Capabilities): Promise<Capabilities> {
    await this.run.enter(this.host, ['zpool', 'get', 'all']);
    return caps;
  }
  async list(_caps: Capabilities, root: string, opts: { readonly recursive: boolean }): Promise<Listing> {
    await this.run.enter(this.host, ['zfs', 'list', root]);
    const datasets = new Map<string, DatasetInfo>();
    for (const d of [...this.host.datasets.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (d.name === root || (opts.recursive && d.name.startsWith(`${root}/`))) datasets.set(d.name, this.world.info(this.host, d));
    }
    return { host: this.host.label, root, exists: datasets.has(root), datasets };
  }
  async exists(dataset: string): Promise<boolean> {
    await this.run.enter(this.host, ['zfs', 'list', dataset]);
    return this.host.datasets.has(dataset);
  }
  async syncPool(pool: string): Promise<void> {
    await this.run.enter(this.host, ['zpool', 'sync', pool]);
    if (![...this.host.datasets.keys()].some((n) => n.split('/')[0] === pool))
      throw err(this.host, 'dataset-not-found', ['zpool', 'sync'], `no such pool '${pool}'`);
  }
  async snapshot(_caps: Capabilities, fullNames: readonly string[], opts: { readonly recursive: boolean }): Promise<void> {
    const argv = ['zfs', 'snapshot', ...(opts.recursive ? ['-r'] : []), ...fullNames];
    await this.run.enter(this.host, argv);
    if (fullNames.length > 1 && !this.host.caps.multiSnapshot) throw this.unsupported(argv, 'several snapshots in one call');
    const txg = this.world.nextTxg();
    const todo: [Ds, string][] = [];
    for (const n of fullNames) {
      const [name, snap] = split(n, '@');
      const d = this.ds(name, argv);
      for (const x of [d, ...(opts.recursive ? [...this.host.datasets.values()].filter((c) => c.name.startsWith(`${name}/`)) : [])]) {
        if (x.snaps.some((s) => s.name === snap)) throw err(this.host, 'already-exists', argv, `snapshot ${x.name}@${snap} already exists`);
        todo.push([x, snap]);
      }
    }
    for (const [d, snap] of todo)
      d.snaps.push({ name: snap, guid: this.world.nextGuid(), txg, creation: Math.floor(this.world.clock / 1000), data: new Set(d.live), holds: new Set() });
  }
  async getVersions(_caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, Version>> {
    await this.run.enter(this.host, ['zfs', 'get', 'guid', ...fullNames]);
    const out = new Map<string, Version>();
    for (const n of fullNames) {
      const bookmark = n.includes('#');
      const [name, short] = split(n, bookmark ? '#' : '@');
      const d = this.host.datasets.get(name);
      const v = bookmark ? d?.bookmarks.find((b) => b.name === short) : d?.snaps.find((s) => s.name === short);
      if (!d || !v) continue;
      out.set(n, {
        kind: bookmark ? 'bookmark' : 'snapshot',
        dataset: name,
        name: short,
        guid: v.guid,
        createtxg: v.txg,
        creation: v.creation,
        ...('holds' in v ? { userrefs: v.holds.size } : {}),
      });
    }
    return out;
  }
  private destroyOne(d: Ds, snap: Snap): void {
    this.world.checkDestroy(this.host.label, d.name, snap);
    d.snaps = d.snaps.filter((s) => s !== snap);
  }
  async destroySnapshots(_caps: Capabilities, dataset: string, shortNames: readonly string[]): Promise<void> {
    const argv = ['zfs', 'destroy', `${dataset}@${shortNames.join(',')}`];
    await this.run.enter(this.host, argv);
    const d = this.host.datasets.get(dataset);
    if (!d) return;
    for (const n of shortNames) {
      const s = d.snaps.find((x) => x.name === n);
      if (!s) continue;
      if (s.holds.size > 0) throw err(this.host, 'held', argv, `cannot destroy ${dataset}@${n}: held`);
      this.destroyOne(d, s);
    }
  }
  async destroySnapshotRecursive(dataset: string, shortName: string): Promise<void> {
    const argv = ['zfs', 'destroy', '-r', `${dataset}@${shortName}`];
    await this.run.enter(this.host, argv);
    const all = [...this.host.datasets.values()].filter((d) => d.name === dataset || d.name.startsWith(`${dataset}/`));
    const hits = all.flatMap((d) => d.snaps.filter((s) => s.name === shortName).map((s) => [d, s] as const));
    if (hits.length === 0) throw err(this.host, 'snapshot-not-found', argv, `could not find any snapshots to destroy`);
    if (hits.some(([, s]) => s.holds.size > 0)) throw err(this.host, 'busy', argv, 'dataset is busy');
    for (const [d, s] of hits) this.destroyOne(d, s);
  }
  private snap(full: string, argv: string[]): Snap {
    const [name, short] = split(full, '@');
    const s = this.ds(name, argv).snaps.find((x) => x.name === short);
    if (!s) throw err(this.host, 'dataset-not-found', argv, `could not find snapshot ${full}`);
    return s;
  }
  async hold(_caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void> {
    const argv = ['zfs', 'hold', tag, ...fullNames];
    await this.run.enter(this.host, argv);
    if (!this.host.caps.holds) throw this.unsupported(argv, 'holds');
    const snaps = fullNames.map((n) => this.snap(n, argv));
    for (const s of snaps) s.holds.add(tag);
  }
  async release(_caps: Capabilities, tag: string, fullNames: readonly string[]): Promise<void> {
    const argv = ['zfs', 'release', tag, ...fullNames];
    await this.run.enter(this.host, argv);
    for (const n of fullNames) {
      const [name, short] = split(n, '@');
      this.host.datasets
        .get(name)
        ?.snaps.find((x) => x.name === short)
        ?.holds.delete(tag);
    }
  }
  async holds(_caps: Capabilities, fullNames: readonly string[]): Promise<Map<string, string[]>> {
    const argv = ['zfs', 'holds', ...fullNames];
    await this.run.enter(this.host, argv);
    if (!this.host.caps.holdsList) throw this.unsupported(argv, 'listing holds');
    return new Map(fullNames.map((n) => [n, [...this.snap(n, argv).holds]]));
  }
  async createBookmark(_caps: Capabilities, snapshotFull: string, bookmarkFull: string): Promise<void> {
    const argv = ['zfs', 'bookmark', snapshotFull, bookmarkFull];
    await this.run.enter(this.host, argv);
    if (!this.host.caps.bookmarks) throw this.unsupported(argv, 'bookmarks');
    const s = this.snap(snapshotFull, argv);
    const [name, short] = split(bookmarkFull, '#');
    const d = this.ds(name, argv);
    const old = d.bookmarks.find((b) => b.name === short);
    if (old && old.guid !== s.guid) throw err(this.host, 'already-exists', argv, `bookmark ${bookmarkFull} already exists`);
    if (!old) d.bookmarks.push({ name: short, guid: s.guid, txg: s.txg, creation: s.creation });
  }
  async destroyBookmark(_caps: Capabilities, bookmarkFull: string): Promise<void> {
    const argv = ['zfs', 'destroy', bookmarkFull];
    await this.run.enter(this.host, argv);
    if (!this.host.caps.bookmarks) throw this.unsupported(argv, 'bookmarks');
    const [name, short] = split(bookmarkFull, '#');
    const d = this.host.datasets.get(name);
    if (d) d.bookmarks = d.bookmarks.filter((b) => b.name !== short);
  }
  async setProperties(_caps: Capabilities, dataset: string, props: Readonly<Record<string, string>>): Promise<void> {
    const argv = ['zfs', 'set', ...Object.entries(props).map(([k, v]) => `${k}=${v}`), dataset];
    await this.run.enter(this.host, argv);
    const d = this.ds(dataset, argv);
    for (const [k, v] of Object.entries(props)) d.props.set(k, v);
  }
  async rollback(fullSnapshot: string): Promise<void> {
    const argv = ['zfs', 'rollback', '-r', fullSnapshot];
    await this.run.enter(this.host, argv);
    const s = this.snap(fullSnapshot, argv);
    const d = this.ds(split(fullSnapshot, '@')[0], argv);
    const newer = d.snaps.filter((x) => x.txg > s.txg);
    if (newer.some((x) => x.holds.size > 0)) throw err(this.host, 'busy', argv, 'dataset is busy');
    for (const x of newer) this.destroyOne(d, x);
    d.live = new Set(s.data);
  }
  async abortResume(_caps: Capabilities, dataset: string): Promise<void> {
    const argv = ['zfs', 'receive', '-A', dataset];
    await this.run.enter(this.host, argv);
    if (!this.host.caps.resume) throw this.unsupported(argv, 'resumable receives');
    const d = this.host.datasets.get(dataset);
    if (!d || !d.token) return;
    if (d.inconsistent) this.host.datasets.delete(dataset);
    else d.token = null;
  }
  async resumeTokenInfo(token: string): Promise<ResumeTokenInfo> {
    const argv = ['zfs', 'send', '-nvt', token];
    await this.run.enter(this.host, argv);
    const t = decodeToken(token);
    if (!t) throw err(this.host, 'bad-output', argv, 'cannot decode the resume token');
    return { toGuid: t.toGuid, fromGuid: t.fromGuid, toName: t.toName, bytes: t.bytes, flags: new Set(t.flags) };
  }
  async umount(dataset: string): Promise<void> {
    await this.run.enter(this.host, ['zfs', 'unmount', dataset]);
  }
}

/** The source snapshots strictly between an `-i` step's base snapshot and its end (none for -I, bookmarks, full). */
const jumpedOver = (step: SendStep, sds: { readonly snaps: readonly Snap[] } | undefined): string[] => {
  if (step.kind !== 'incremental' || step.intermediates || step.from.kind !== 'snapshot' || !sds) return [];
  const from = sds.snaps.find((s) => s.guid === step.from.guid);
  const to = sds.snaps.find((s) => s.guid === step.to.guid);
  return from && to ? sds.snaps.filter((s) => s.txg > from.txg && s.txg < to.txg).map((s) => s.name) : [];
};

const nextAfter = (step: SendStep, sds: { readonly snaps: readonly Snap[] } | undefined): string | null => {
  const to = sds?.snaps.find((s) => s.guid === step.to.guid);
  if (!sds || !to) return null;
  return sds.snaps.filter((s) => s.txg > to.txg).sort((a, b) => a.txg - b.txg)[0]?.name ?? null;
};
