// Pure parsers of the one listing call per side: `zfs list -H -p -o COLS` (OpenZFS) and
// `zfs get -H -p -o name,property,value,source PROPS` (zfs-fuse, which has no `list -p`). Both become the
// same Listing. Anything unexpected throws a bad-output ZfsError naming the line: never a silent skip.
import type { DatasetInfo, Listing, PropertySource, Role } from '../core/dataset.js';
import { PROP_EPOCH, PROP_PROMOTED, PROP_ROLE } from '../core/names.js';
import { sortVersions, type Version } from '../core/versions.js';
import { ZfsError } from './errors.js';

/** Dataset properties every listing asks for (after name and type), in `zfs list -o` order. */
export const DATASET_PROPERTIES = [
  'guid', 'createtxg', 'creation', 'written', 'receive_resume_token', 'readonly', 'encryption', 'encryptionroot',
  'keystatus', 'mountpoint', 'canmount', 'mounted', 'origin', 'used', 'available', 'referenced', 'userrefs',
  PROP_ROLE, PROP_EPOCH, PROP_PROMOTED,
] as const;

/** What zfs-fuse (pool v23) knows of DATASET_PROPERTIES: asking for another one fails the whole `zfs get`. */
export const ZFS_FUSE_UNKNOWN = new Set(['written', 'receive_resume_token', 'encryption', 'encryptionroot', 'keystatus']);

export interface ParseContext {
  readonly host: string;
  readonly root: string;
  readonly recursive: boolean;
  /** The argv that produced the text, for errors. */
  readonly argv: readonly string[];
}

/** One dataset's or version's properties, looked up by name; source is known only from `zfs get`. */
interface Row {
  readonly name: string;
  readonly type: string;
  value(prop: string): string | undefined;
  source(prop: string): string | undefined;
}

const bad = (ctx: ParseContext, why: string, line: string): ZfsError =>
  new ZfsError({
    reason: 'bad-output',
    argv: ctx.argv,
    host: ctx.host,
    exitCode: 0,
    stderr: '',
    message: `unexpected output from ${ctx.argv.slice(0, 2).join(' ')}${ctx.host === 'local' ? '' : ` on ${ctx.host}`}: ${why}: ${JSON.stringify(line.slice(0, 200))}`,
  });

/** Is `name` (a dataset, or the dataset part of a version) inside the listing's scope? */
const inScope = (ctx: ParseContext, dataset: string): boolean =>
  dataset === ctx.root || (ctx.recursive && dataset.startsWith(`${ctx.root}/`));

const opt = (v: string | undefined): string | null => (v === undefined || v === '-' ? null : v);

const num = (ctx: ParseContext, row: Row, prop: string, required: boolean): number | null => {
  const n = intField(ctx, row.value(prop), prop, row.name);
  if (n === null && required) throw bad(ctx, `missing ${prop}`, row.name);
  return n;
};

const onOff = (v: string | undefined, on: string): boolean | null => (v === undefined || v === '-' ? null : v === on);

const sourceOf = (s: string): PropertySource => {
  if (s === 'local') return 'local';
  if (s.startsWith('inherited')) return 'inherited';
  if (s === 'received') return 'received';
  if (s === 'default') return 'default';
  return 'none';
};

type Partial = Omit<DatasetInfo, 'versions' | 'roleSource'> & { roleSource: PropertySource | null };

const toDataset = (ctx: ParseContext, row: Row, extraProps: readonly string[]): Partial => {
  const roleRaw = opt(row.value(PROP_ROLE));
  const role: Role | null = roleRaw === 'primary' || roleRaw === 'replica' ? roleRaw : null;
  const epochRaw = opt(row.value(PROP_EPOCH));
  const epoch = epochRaw !== null && /^\d{1,15}$/.test(epochRaw) ? Number(epochRaw) : null;
  const roleSrc = row.source(PROP_ROLE);
  const extra: Record<string, string> = {};
  for (const p of [PROP_ROLE, PROP_EPOCH, PROP_PROMOTED, ...extraProps]) {
    const v = opt(row.value(p));
    if (v !== null) extra[p] = v;
  }
  return {
    name: row.name,
    type: row.type as 'filesystem' | 'volume',
    guid: guidField(ctx, row.value('guid'), row.name),
    createtxg: num(ctx, row, 'createtxg', true) as number,
    creation: num(ctx, row, 'creation', true) as number,
    written: num(ctx, row, 'written', false),
    resumeToken: opt(row.value('receive_resume_token')),
    readonly: onOff(row.value('readonly'), 'on'),
    role,
    roleSource: role === null ? 'none' : roleSrc === undefined ? null : sourceOf(roleSrc),
    epoch,
    encryption: opt(row.value('encryption')),
    encryptionRoot: opt(row.value('encryptionroot')),
    keyStatus: opt(row.value('keystatus')),
    mountpoint: opt(row.value('mountpoint')),
    canmount: opt(row.value('canmount')),
    mounted: onOff(row.value('mounted'), 'yes'),
    origin: opt(row.value('origin')),
    used: num(ctx, row, 'used', false),
    available: num(ctx, row, 'available', false),
    referenced: num(ctx, row, 'referenced', false),
    extra,
  };
};

/** Collects rows (in zfs's order: parents before children, versions after their dataset) into a Listing. */
class Assembler {
  private readonly partials = new Map<string, Partial>();
  private readonly versions = new Map<string, Version[]>();
  // Versions of one dataset come in a run: remember the last dataset's list instead of a map lookup per row.
  private lastDs = '';
  private lastList: Version[] | null = null;

  /** Dataset name of the last listFor() hit, shared by all its versions (one string, not one per row). */
  get currentDataset(): string {
    return this.lastDs;
  }

  constructor(
    private readonly ctx: ParseContext,
    private readonly extraProps: readonly string[],
  ) {}

  /** The version list of the dataset part of `name` (before `sep`), or null when out of scope. */
  listFor(name: string, sep: number): Version[] | null {
    if (sep <= 0) throw bad(this.ctx, 'version name without @ or #', name);
    if (this.lastList && name.length > sep && name.startsWith(this.lastDs) && sep === this.lastDs.length) return this.lastList;
    const ds = name.slice(0, sep);
    if (!inScope(this.ctx, ds)) return null;
    let list = this.versions.get(ds);
    if (!list) this.versions.set(ds, (list = []));
    this.lastDs = ds;
    this.lastList = list;
    return list;
  }

  /** listFor() for the name text[start, end of row) whose separator is at `sepAt`, slicing only on a new dataset. */
  listAt(text: string, start: number, sepAt: number): Version[] | null {
    if (this.lastList && sepAt - start === this.lastDs.length && text.startsWith(this.lastDs, start)) return this.lastList;
    const end = text.indexOf('\t', sepAt);
    return this.listFor(text.slice(start, end), sepAt - start);
  }

  dataset(row: Row): void {
    if (row.type !== 'filesystem' && row.type !== 'volume') throw bad(this.ctx, `unknown type ${row.type}`, row.name);
    if (!inScope(this.ctx, row.name)) return; // `-d 1` also lists the root's children
    this.partials.set(row.name, toDataset(this.ctx, row, this.extraProps));
  }

  listing(): Listing {
    const datasets = new Map<string, DatasetInfo>();
    for (const [name, p] of this.partials) {
      // `zfs list` has no source column: a role is inherited when the parent in this listing has the same value.
      let roleSource = p.roleSource;
      if (roleSource === null) {
        const parent = this.partials.get(name.slice(0, Math.max(0, name.lastIndexOf('/'))));
        roleSource = parent && parent.role === p.role ? 'inherited' : 'local';
      }
      datasets.set(name, { ...p, roleSource, versions: sortVersions(this.versions.get(name) ?? []) });
    }
    for (const ds of this.versions.keys()) if (!this.partials.has(ds)) throw bad(this.ctx, 'versions of a dataset that is not listed', ds);
    return { host: this.ctx.host, root: this.ctx.root, exists: datasets.has(this.ctx.root), datasets };
  }
}

/** A non-negative integer field, or null for `-`; anything else throws (never a silent skip). */
const intField = (ctx: ParseContext, v: string | undefined, prop: string, name: string): number | null => {
  if (v === undefined || v === '-') return null;
  const n = Number(v);
  if (v === '' || !Number.isSafeInteger(n) || n < 0 || v.charCodeAt(0) === 43 /* + */ || v.includes('.') || v.includes('e')) throw bad(ctx, `${prop} is not a number (${v})`, name);
  return n;
};

const guidField = (ctx: ParseContext, v: string | undefined, name: string): string => {
  if (v === undefined || v.length === 0 || v.length > 20) throw bad(ctx, `guid is not an exact 64-bit number (${v})`, name);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) throw bad(ctx, `guid is not an exact 64-bit number (${v})`, name);
  }
  return v;
};

/** A version row's values as text positions; numbers are read in place so 100k rows make little garbage. */
const makeVersion = (ctx: ParseContext, kind: 'snapshot' | 'bookmark', name: string, sep: number, guid: string | undefined, txg: string | undefined, creation: string | undefined, refs: string | undefined): Version => {
  const createtxg = intField(ctx, txg, 'createtxg', name);
  const created = intField(ctx, creation, 'creation', name);
  if (createtxg === null || created === null) throw bad(ctx, `missing ${createtxg === null ? 'createtxg' : 'creation'}`, name);
  const g = guidField(ctx, guid, name);
  if (kind === 'bookmark') return { kind, dataset: name.slice(0, sep), name: name.slice(sep + 1), guid: g, createtxg, creation: created };
  const userrefs = intField(ctx, refs, 'userrefs', name);
  return userrefs === null
    ? { kind, dataset: name.slice(0, sep), name: name.slice(sep + 1), guid: g, createtxg, creation: created }
    : { kind, dataset: name.slice(0, sep), name: name.slice(sep + 1), guid: g, createtxg, creation: created, userrefs };
};

/** text[a, b) is 1..max decimal digits. */
const isDigits = (text: string, a: number, b: number, max: number): boolean => {
  if (b <= a || b - a > max) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/** Digits of text[a, b) as a number; -1 for `-`, -2 for anything that is not a plain non-negative integer. */
const intAt = (text: string, a: number, b: number): number => {
  if (b - a === 1 && text.charCodeAt(a) === 45) return -1;
  if (b <= a || b - a > 15) return -2;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
};

/** `zfs list -H -p -o name,type,<props...>`: one tab-separated row per dataset, snapshot or bookmark. */
export const parseZfsList = (text: string, columns: readonly string[], ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  if (columns[0] !== 'name' || columns[1] !== 'type') throw new RangeError('columns must start with name,type');
  const n = columns.length;
  const index = new Map(columns.map((c, i) => [c, i]));
  const [iGuid, iTxg, iCreation, iRefs] = ['guid', 'createtxg', 'creation', 'userrefs'].map((c) => index.get(c) ?? -1) as [number, number, number, number];
  const out = new Assembler(ctx, extraProps);
  // Field i spans [from(i), to(i)): positions of the tabs, reused for every line (no split arrays).
  const tabs = new Int32Array(n + 1);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      let count = 0;
      for (let p = text.indexOf('\t', start); p !== -1 && p < end; p = text.indexOf('\t', p + 1)) {
        if (count < n) tabs[count] = p;
        count++;
      }
      if (count !== n - 1) throw bad(ctx, `expected ${n} columns, got ${count + 1}`, text.slice(start, end));
      tabs[n - 1] = end;
      const from = (i: number): number => (i === 0 ? start : (tabs[i - 1] as number) + 1);
      const field = (i: number): string | undefined => (i < 0 ? undefined : text.slice(i === 0 ? start : (tabs[i - 1] as number) + 1, tabs[i]));
      const t0 = tabs[0] as number;
      const typeLen = (tabs[1] as number) - t0 - 1;
      const isSnap = typeLen === 8 && text.startsWith('snapshot', t0 + 1);
      const isBook = !isSnap && typeLen === 8 && text.startsWith('bookmark', t0 + 1);
      if (isSnap || isBook) {
        // Hot path (100k rows): validate in place, allocate only the short name, the guid and the object.
        const sepAt = text.indexOf(isSnap ? '@' : '#', start);
        const list = sepAt > start && sepAt < t0 ? out.listAt(text, start, sepAt) : out.listFor(text.slice(start, t0), -1);
        if (list) {
          const gA = from(iGuid);
          const gB = tabs[iGuid] as number;
          const txg = intAt(text, from(iTxg), tabs[iTxg] as number);
          const creation = intAt(text, from(iCreation), tabs[iCreation] as number);
          const refs = iRefs < 0 ? -1 : intAt(text, from(iRefs), tabs[iRefs] as number);
          if (txg < 0 || creation < 0 || refs < -1 || (isSnap && refs === -2) || !isDigits(text, gA, gB, 20)) {
            const name = text.slice(start, t0);
            makeVersion(ctx, isSnap ? 'snapshot' : 'bookmark', name, sepAt - start, field(iGuid), field(iTxg), field(iCreation), field(iRefs)); // throws the precise error
            throw bad(ctx, 'invalid version row', name);
          }
          const ds = out.currentDataset;
          const short = text.slice(sepAt + 1, t0);
          const guid = text.slice(gA, gB);
          list.push(
            isBook
              ? { kind: 'bookmark', dataset: ds, name: short, guid, createtxg: txg, creation }
              : refs >= 0
                ? { kind: 'snapshot', dataset: ds, name: short, guid, createtxg: txg, creation, userrefs: refs }
                : { kind: 'snapshot', dataset: ds, name: short, guid, createtxg: txg, creation },
          );
        }
      } else {
        const name = text.slice(start, t0);
        const f = text.slice(start, end).split('\t');
        out.dataset({ name, type: f[1] as string, value: (p) => { const i = index.get(p); return i === undefined ? undefined : f[i]; }, source: () => undefined });
      }
    }
    start = end + 1;
  }
  return out.listing();
};

/** `zfs get -H -p -o name,property,value,source`: one row per (object, property); values may hold tabs. */
export const parseZfsGet = (text: string, ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  const out = new Assembler(ctx, extraProps);
  // zfs get prints the properties of one object together, in the order asked (type first): a version's four
  // numbers are kept in fields; only datasets (few) get a map of every property and its source.
  let curName = '';
  let type: string | undefined;
  let guid: string | undefined;
  let txg: string | undefined;
  let creation: string | undefined;
  let refs: string | undefined;
  let values: Map<string, string> | null = null;
  let sources: Map<string, string> | null = null;
  const seen = new Set<string>();
  const emit = (): void => {
    if (curName === '') return;
    if (seen.has(curName)) throw bad(ctx, 'properties of one object are not together', curName);
    seen.add(curName);
    if (type === undefined) throw bad(ctx, 'no type property', curName);
    if (type === 'snapshot' || type === 'bookmark') {
      const sep = curName.indexOf(type === 'snapshot' ? '@' : '#');
      const list = out.listFor(curName, sep);
      if (list) list.push(makeVersion(ctx, type, curName, sep, guid, txg, creation, refs));
    } else {
      const [v, src] = [values ?? new Map<string, string>(), sources ?? new Map<string, string>()];
      out.dataset({ name: curName, type, value: (p) => v.get(p), source: (p) => src.get(p) });
    }
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const a = text.indexOf('\t', start);
      const b = a < 0 || a >= end ? -1 : text.indexOf('\t', a + 1);
      const c = text.lastIndexOf('\t', end - 1);
      if (a <= start || a >= end || b < 0 || b >= end || c <= b) throw bad(ctx, 'expected 4 tab-separated columns', text.slice(start, end));
      if (a - start !== curName.length || !text.startsWith(curName, start)) {
        emit();
        curName = text.slice(start, a);
        type = guid = txg = creation = refs = undefined;
        values = sources = null;
      }
      const propLen = b - a - 1;
      const value = (): string => text.slice(b + 1, c);
      const is = (p: string): boolean => propLen === p.length && text.startsWith(p, a + 1);
      if (is('type')) type = value();
      else if (is('guid')) guid = value();
      else if (is('createtxg')) txg = value();
      else if (is('creation')) creation = value();
      else if (is('userrefs')) refs = value();
      if (type !== 'snapshot' && type !== 'bookmark') {
        // a dataset (or type not seen yet): keep every property with its source
        values ??= new Map();
        sources ??= new Map();
        const prop = text.slice(a + 1, b);
        values.set(prop, value());
        sources.set(prop, text.slice(c + 1, end));
      }
    }
    start = end + 1;
  }
  emit();
  return out.listing();
};
