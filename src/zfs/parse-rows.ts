// Shared pieces of the listing parsers: the context, the bad-output error, typed fields of a dataset row, and the
// Assembler that turns rows (in zfs's order) into a Listing. Pure.
import type { DatasetInfo, Listing, PropertySource, Role } from '../core/dataset.js';
import { PROP_EPOCH, PROP_PROMOTED, PROP_REBUILT, PROP_ROLE } from '../core/names.js';
import { newestSnapshot, sortVersionsInPlace, type Version } from '../core/versions.js';
import { badOutput, type ZfsError } from './errors.js';

export interface ParseContext {
  readonly host: string;
  readonly root: string;
  readonly recursive: boolean;
  /** The argv that produced the text, for errors. */
  readonly argv: readonly string[];
}

/** One dataset's or version's properties, looked up by name; source is known only from `zfs get`. */
export interface Row {
  readonly name: string;
  readonly type: string;
  value(prop: string): string | undefined;
  source(prop: string): string | undefined;
}

export const bad = (ctx: ParseContext, why: string, line: string): ZfsError =>
  badOutput(
    ctx.argv,
    ctx.host,
    `unexpected output from ${ctx.argv.slice(0, 2).join(' ')}${ctx.host === 'local' ? '' : ` on ${ctx.host}`}: ${why}: ${JSON.stringify(line.slice(0, 200))}`,
  );

/** Is `name` (a dataset, or the dataset part of a version) inside the listing's scope? */
const inScope = (ctx: ParseContext, dataset: string): boolean => dataset === ctx.root || (ctx.recursive && dataset.startsWith(`${ctx.root}/`));

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

// Runs once per dataset (1,000s per listing), so V8 optimizes it: kept free of per-call arrays, iterators and
// regexps, whose inlined code made its compile cost more CPU (~15-25 ms) than all its calls.
const toDataset = (ctx: ParseContext, row: Row, extraKeys: readonly string[]): Partial => {
  const roleRaw = opt(row.value(PROP_ROLE));
  const role: Role | null = roleRaw === 'primary' || roleRaw === 'replica' ? roleRaw : null;
  const epochRaw = opt(row.value(PROP_EPOCH));
  const epoch = epochRaw !== null && isDigits(epochRaw, 0, epochRaw.length, 15) ? Number(epochRaw) : null;
  const roleSrc = row.source(PROP_ROLE);
  const extra: Record<string, string> = {};
  for (let i = 0; i < extraKeys.length; i++) {
    const p = extraKeys[i] as string;
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

/** A zvol demote re-created (core/names PROP_REBUILT) and still at that snapshot: its `written` is the clone's. */
const rebuiltAtNewest = (p: Partial, versions: readonly Version[]): boolean => {
  const guid = p.extra[PROP_REBUILT];
  return guid !== undefined && p.written !== null && newestSnapshot(versions)?.guid === guid;
};

/** Collects rows (in zfs's order: parents before children, versions after their dataset) into a Listing. */
export class Assembler {
  private readonly partials = new Map<string, Partial>();
  private readonly versions = new Map<string, Version[]>();
  // Versions of one dataset come in a run: remember the last dataset's list instead of a map lookup per row.
  private lastDs = '';
  private lastList: Version[] | null = null;

  /** Dataset name of the last listFor() hit, shared by all its versions (one string, not one per row). */
  get currentDataset(): string {
    return this.lastDs;
  }

  /** The properties kept in DatasetInfo.extra: role, epoch, promotion point and the caller's. */
  private readonly extraKeys: readonly string[];

  constructor(
    private readonly ctx: ParseContext,
    extraProps: readonly string[],
  ) {
    this.extraKeys = [PROP_ROLE, PROP_EPOCH, PROP_PROMOTED, PROP_REBUILT, ...extraProps];
  }

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
    this.partials.set(row.name, toDataset(this.ctx, row, this.extraKeys));
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
      const versions = sortVersionsInPlace(this.versions.get(name) ?? []);
      datasets.set(name, { ...p, roleSource, versions, written: rebuiltAtNewest(p, versions) ? null : p.written });
    }
    for (const ds of this.versions.keys()) if (!this.partials.has(ds)) throw bad(this.ctx, 'versions of a dataset that is not listed', ds);
    return { host: this.ctx.host, root: this.ctx.root, exists: datasets.has(this.ctx.root), datasets };
  }
}

/** A non-negative integer field, or null for `-`; anything else throws (never a silent skip). */
export const intField = (ctx: ParseContext, v: string | undefined, prop: string, name: string): number | null => {
  if (v === undefined || v === '-') return null;
  const n = Number(v);
  if (v === '' || !Number.isSafeInteger(n) || n < 0 || v.charCodeAt(0) === 43 /* + */ || v.includes('.') || v.includes('e'))
    throw bad(ctx, `${prop} is not a number (${v})`, name);
  return n;
};

export const guidField = (ctx: ParseContext, v: string | undefined, name: string): string => {
  if (v === undefined || v.length === 0 || v.length > 20) throw bad(ctx, `guid is not an exact 64-bit number (${v})`, name);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) throw bad(ctx, `guid is not an exact 64-bit number (${v})`, name);
  }
  return v;
};

/** A version row's values as text positions; numbers are read in place so 100k rows make little garbage. */
export const makeVersion = (
  ctx: ParseContext,
  kind: 'snapshot' | 'bookmark',
  name: string,
  sep: number,
  guid: string | undefined,
  txg: string | undefined,
  creation: string | undefined,
  refs: string | undefined,
): Version => {
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
export const isDigits = (text: string, a: number, b: number, max: number): boolean => {
  if (b <= a || b - a > max) return false;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/** Digits of text[a, b) as a number; -1 for `-`, -2 for anything that is not a plain non-negative integer. */
export const intAt = (text: string, a: number, b: number): number => {
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
