// Pure parsers of the one listing call per side: `zfs list -H -p -o COLS` (OpenZFS, in parse-list.ts) and
// `zfs get -H -p -o name,property,value,source PROPS` (zfs-fuse, which has no `list -p`). Both become the
// same Listing. Anything unexpected throws a bad-output ZfsError naming the line: never a silent skip.
import type { Listing } from '../core/dataset.js';
import { PROP_EPOCH, PROP_PROMOTED, PROP_REBUILT, PROP_ROLE } from '../core/names.js';
import { Assembler, bad, makeVersion, type ParseContext } from './parse-rows.js';

export type { ParseContext } from './parse-rows.js';
export { parseZfsList } from './parse-list.js';

/** Dataset properties every listing asks for (after name and type), in `zfs list -o` order. */
export const DATASET_PROPERTIES = [
  'guid',
  'createtxg',
  'creation',
  'written',
  'receive_resume_token',
  'readonly',
  'encryption',
  'encryptionroot',
  'keystatus',
  'mountpoint',
  'canmount',
  'mounted',
  'origin',
  'used',
  'available',
  'referenced',
  'userrefs',
  PROP_ROLE,
  PROP_EPOCH,
  PROP_PROMOTED,
  PROP_REBUILT,
] as const;

/**
 * The columns replication and its checks read (versions, written, resume token, encryption, role/epoch): a
 * narrower `zfs list -o` than DATASET_PROPERTIES, so the '-' of every dataset-only column is not printed and
 * parsed 100,000 times for a big tree. Properties left out read as null.
 */
export const REPLICATION_PROPERTIES = [
  'guid',
  'createtxg',
  'creation',
  'written',
  'receive_resume_token',
  'encryption',
  'userrefs',
  'readonly',
  PROP_ROLE,
  PROP_EPOCH,
  PROP_REBUILT,
] as const;

/** What zfs-fuse (pool v23) knows of DATASET_PROPERTIES: asking for another one fails the whole `zfs get`. */
export const ZFS_FUSE_UNKNOWN = new Set(['written', 'receive_resume_token', 'encryption', 'encryptionroot', 'keystatus']);

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
