// Pure parsers of the one listing call per side: `zfs list -H -p -o COLS` (OpenZFS) and
// `zfs get -H -p -o name,property,value,source PROPS` (zfs-fuse, which has no `list -p`). Both become the
// same Listing. Anything unexpected throws a bad-output ZfsError naming the line: never a silent skip.
import type { Listing } from '../core/dataset.js';
import { PROP_EPOCH, PROP_PROMOTED, PROP_ROLE } from '../core/names.js';
import { Assembler, bad, intAt, isDigits, makeVersion, type ParseContext } from './parse-rows.js';

export type { ParseContext } from './parse-rows.js';

/** Dataset properties every listing asks for (after name and type), in `zfs list -o` order. */
export const DATASET_PROPERTIES = [
  'guid', 'createtxg', 'creation', 'written', 'receive_resume_token', 'readonly', 'encryption', 'encryptionroot',
  'keystatus', 'mountpoint', 'canmount', 'mounted', 'origin', 'used', 'available', 'referenced', 'userrefs',
  PROP_ROLE, PROP_EPOCH, PROP_PROMOTED,
] as const;

/**
 * The columns replication and its checks read (versions, written, resume token, encryption, role/epoch): a
 * narrower `zfs list -o` than DATASET_PROPERTIES, so the '-' of every dataset-only column is not printed and
 * parsed 100,000 times for a big tree. Properties left out read as null.
 */
export const REPLICATION_PROPERTIES = [
  'guid', 'createtxg', 'creation', 'written', 'receive_resume_token', 'encryption', 'userrefs', PROP_ROLE, PROP_EPOCH,
] as const;

/** What zfs-fuse (pool v23) knows of DATASET_PROPERTIES: asking for another one fails the whole `zfs get`. */
export const ZFS_FUSE_UNKNOWN = new Set(['written', 'receive_resume_token', 'encryption', 'encryptionroot', 'keystatus']);

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
