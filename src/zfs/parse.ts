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
  const v = opt(row.value(prop));
  if (v === null) {
    if (required) throw bad(ctx, `missing ${prop}`, row.name);
    return null;
  }
  if (!/^\d+$/.test(v)) throw bad(ctx, `${prop} is not a number (${v})`, row.name);
  return Number(v);
};

const guidOf = (ctx: ParseContext, row: Row): string => {
  const v = row.value('guid');
  if (v === undefined || !/^\d{1,20}$/.test(v)) throw bad(ctx, `guid is not an exact 64-bit number (${v})`, row.name);
  return v;
};

const toVersion = (ctx: ParseContext, row: Row, kind: 'snapshot' | 'bookmark', sep: number): Version => {
  const userrefs = kind === 'snapshot' ? num(ctx, row, 'userrefs', false) : null;
  return {
    kind,
    dataset: row.name.slice(0, sep),
    name: row.name.slice(sep + 1),
    guid: guidOf(ctx, row),
    createtxg: num(ctx, row, 'createtxg', true) as number,
    creation: num(ctx, row, 'creation', true) as number,
    ...(userrefs !== null ? { userrefs } : {}),
  };
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
    guid: guidOf(ctx, row),
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

/** Rows (in zfs's order: parents before children, versions after their dataset) into a Listing. */
const assemble = (ctx: ParseContext, rows: Iterable<Row>, extraProps: readonly string[]): Listing => {
  const partials = new Map<string, Partial>();
  const versions = new Map<string, Version[]>();
  for (const row of rows) {
    const { name, type } = row;
    if (type === 'snapshot' || type === 'bookmark') {
      const sep = name.indexOf(type === 'snapshot' ? '@' : '#');
      if (sep <= 0) throw bad(ctx, `${type} name without ${type === 'snapshot' ? '@' : '#'}`, name);
      const ds = name.slice(0, sep);
      if (!inScope(ctx, ds)) continue;
      let list = versions.get(ds);
      if (!list) versions.set(ds, (list = []));
      list.push(toVersion(ctx, row, type, sep));
    } else if (type === 'filesystem' || type === 'volume') {
      if (!inScope(ctx, name)) continue; // `-d 1` also lists the root's children
      partials.set(name, toDataset(ctx, row, extraProps));
    } else {
      throw bad(ctx, `unknown type ${type}`, name);
    }
  }
  const datasets = new Map<string, DatasetInfo>();
  for (const [name, p] of partials) {
    // `zfs list` has no source column: a role is inherited when the parent in this listing has the same value.
    let roleSource = p.roleSource;
    if (roleSource === null) {
      const parent = partials.get(name.slice(0, Math.max(0, name.lastIndexOf('/'))));
      roleSource = parent && parent.role === p.role ? 'inherited' : 'local';
    }
    datasets.set(name, { ...p, roleSource, versions: sortVersions(versions.get(name) ?? []) });
  }
  for (const ds of versions.keys()) if (!partials.has(ds)) throw bad(ctx, 'versions of a dataset that is not listed', ds);
  return { host: ctx.host, root: ctx.root, exists: datasets.has(ctx.root), datasets };
};

/** Lines of `text` without the trailing empty one. */
function* lines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) yield text.slice(start, end);
    start = end + 1;
  }
}

/** `zfs list -H -p -o name,type,<props...>`: one tab-separated row per dataset, snapshot or bookmark. */
export const parseZfsList = (text: string, columns: readonly string[], ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  if (columns[0] !== 'name' || columns[1] !== 'type') throw new RangeError('columns must start with name,type');
  const index = new Map(columns.map((c, i) => [c, i]));
  function* rows(): Generator<Row> {
    for (const line of lines(text)) {
      const f = line.split('\t');
      if (f.length !== columns.length) throw bad(ctx, `expected ${columns.length} columns, got ${f.length}`, line);
      yield {
        name: f[0] as string,
        type: f[1] as string,
        value: (p) => {
          const i = index.get(p);
          return i === undefined ? undefined : f[i];
        },
        source: () => undefined,
      };
    }
  }
  return assemble(ctx, rows(), extraProps);
};

/** `zfs get -H -p -o name,property,value,source`: one row per (object, property); values may hold tabs. */
export const parseZfsGet = (text: string, ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  const records = new Map<string, { values: Map<string, string>; sources: Map<string, string> }>();
  let cur: { values: Map<string, string>; sources: Map<string, string> } | undefined;
  let curName = '';
  for (const line of lines(text)) {
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    const c = line.lastIndexOf('\t');
    if (a <= 0 || b < 0 || c <= b) throw bad(ctx, 'expected 4 tab-separated columns', line);
    const name = line.slice(0, a);
    if (name !== curName || !cur) {
      curName = name;
      cur = records.get(name);
      if (!cur) records.set(name, (cur = { values: new Map(), sources: new Map() }));
    }
    const prop = line.slice(a + 1, b);
    cur.values.set(prop, line.slice(b + 1, c));
    cur.sources.set(prop, line.slice(c + 1));
  }
  function* rows(): Generator<Row> {
    for (const [name, r] of records) {
      const type = r.values.get('type');
      if (type === undefined) throw bad(ctx, 'no type property', name);
      yield { name, type, value: (p) => r.values.get(p), source: (p) => r.sources.get(p) };
    }
  }
  return assemble(ctx, rows(), extraProps);
};
