// The listing parsers: a generated tree rendered as `zfs list -H -p` (OpenZFS) and as `zfs get -H -p` (zfs-fuse)
// lines parses back to the same datasets and versions; malformed output throws naming the line.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { PROP_EPOCH, PROP_REBUILT, PROP_ROLE } from '../../../src/core/names.js';
import { ZfsError } from '../../../src/zfs/errors.js';
import { DATASET_PROPERTIES, parseZfsGet, parseZfsList, type ParseContext } from '../../../src/zfs/parse.js';

interface GenVersion {
  kind: 'snapshot' | 'bookmark';
  name: string;
  guid: string;
  createtxg: number;
  creation: number;
  userrefs: number;
}
interface GenDataset {
  rel: string;
  guid: string;
  role: 'primary' | 'replica' | null;
  epoch: number | null;
  written: number;
  versions: GenVersion[];
}

const component = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_:. -]{0,8}$/).filter((s) => !s.endsWith(' ') && s !== '.' && s !== '..');
const guid = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map(String);
const version = fc.record({
  kind: fc.constantFrom('snapshot' as const, 'bookmark' as const),
  name: component,
  guid,
  createtxg: fc.integer({ min: 1, max: 2 ** 40 }),
  creation: fc.integer({ min: 0, max: 2 ** 33 }),
  userrefs: fc.integer({ min: 0, max: 3 }),
});
const dataset = (rel: string): fc.Arbitrary<GenDataset> =>
  fc.record({
    rel: fc.constant(rel),
    guid,
    role: fc.constantFrom('primary' as const, 'replica' as const, null),
    epoch: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
    written: fc.nat(),
    versions: fc.uniqueArray(version, { maxLength: 6, selector: (v) => `${v.kind}${v.name}` }),
  });
const tree = fc
  .uniqueArray(
    fc.array(component, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('/')),
    { maxLength: 5 },
  )
  .map((rels) => {
    // every ancestor of a listed child is listed too, parents first (as zfs prints them)
    const all = new Set<string>(['']);
    for (const r of rels) r.split('/').forEach((_, i, parts) => all.add(parts.slice(0, i + 1).join('/')));
    return [...all].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  })
  .chain((rels) => fc.tuple(...rels.map(dataset)));

const ROOT = 'tank/data set';
const full = (rel: string): string => (rel === '' ? ROOT : `${ROOT}/${rel}`);

/** Property values of one row, as zfs prints them with -p. */
const datasetValues = (d: GenDataset): Record<string, string> => ({
  type: 'filesystem',
  guid: d.guid,
  createtxg: '5',
  creation: '1795668094',
  written: String(d.written),
  receive_resume_token: '-',
  readonly: 'off',
  encryption: 'off',
  encryptionroot: '-',
  keystatus: '-',
  mountpoint: `/${full(d.rel)}`,
  canmount: 'on',
  mounted: 'yes',
  origin: '-',
  used: '1024',
  available: '2048',
  referenced: '512',
  userrefs: '-',
  [PROP_ROLE]: d.role ?? '-',
  [PROP_EPOCH]: d.epoch === null ? '-' : String(d.epoch),
  'zfailover:promoted': '-',
});
const versionValues = (v: GenVersion): Record<string, string> => ({
  type: v.kind,
  guid: v.guid,
  createtxg: String(v.createtxg),
  creation: String(v.creation),
  userrefs: v.kind === 'snapshot' ? String(v.userrefs) : '-',
});
const vName = (d: GenDataset, v: GenVersion): string => `${full(d.rel)}${v.kind === 'snapshot' ? '@' : '#'}${v.name}`;

const COLUMNS = ['name', 'type', ...DATASET_PROPERTIES];
const renderList = (ds: GenDataset[]): string =>
  ds
    .flatMap((d) => [
      [full(d.rel), ...COLUMNS.slice(1).map((c) => datasetValues(d)[c] ?? '-')].join('\t'),
      ...d.versions.map((v) => [vName(d, v), ...COLUMNS.slice(1).map((c) => versionValues(v)[c] ?? '-')].join('\t')),
    ])
    .join('\n') + '\n';
const renderGet = (ds: GenDataset[]): string =>
  ds
    .flatMap((d) => [
      ...Object.entries(datasetValues(d)).map(([p, v]) => [full(d.rel), p, v, p === PROP_ROLE && d.role ? roleSource(ds, d) : '-'].join('\t')),
      ...d.versions.flatMap((v) => Object.entries(versionValues(v)).map(([p, val]) => [vName(d, v), p, val, '-'].join('\t'))),
    ])
    .join('\n') + '\n';
/** zfs's source column for a role: inherited when the parent has the same value (our generator's convention). */
const parentOf = (ds: GenDataset[], d: GenDataset): GenDataset | undefined =>
  d.rel === '' ? undefined : ds.find((p) => p.rel === d.rel.split('/').slice(0, -1).join('/'));
const roleSource = (ds: GenDataset[], d: GenDataset): string =>
  parentOf(ds, d)?.role === d.role ? `inherited from ${full(parentOf(ds, d)?.rel ?? '')}` : 'local';

const ctx = (recursive: boolean): ParseContext => ({ host: 'local', root: ROOT, recursive, argv: ['zfs', 'list'] });

const checkListing = (ds: GenDataset[], listing: ReturnType<typeof parseZfsList>, recursive: boolean): void => {
  const expected = recursive ? ds : ds.filter((d) => d.rel === '');
  expect([...listing.datasets.keys()]).toEqual(expected.map((d) => full(d.rel)));
  expect(listing.exists).toBe(true);
  for (const d of expected) {
    const info = listing.datasets.get(full(d.rel));
    expect(info?.guid).toBe(d.guid);
    expect(info?.role).toBe(d.role);
    expect(info?.epoch).toBe(d.epoch);
    expect(info?.roleSource).toBe(d.role === null ? 'none' : parentOf(ds, d)?.role === d.role ? 'inherited' : 'local');
    const got = info?.versions ?? [];
    expect(new Set(got.map((v) => `${v.kind}:${v.name}:${v.guid}:${v.createtxg}`))).toEqual(
      new Set(d.versions.map((v) => `${v.kind}:${v.name}:${v.guid}:${v.createtxg}`)),
    );
    for (let i = 1; i < got.length; i++) expect((got[i - 1]?.createtxg ?? 0) <= (got[i]?.createtxg ?? 0)).toBe(true);
  }
};

describe('parseZfsList / parseZfsGet', () => {
  fcTest.prop([tree, fc.boolean()])('both formats parse a generated tree back exactly (GUIDs as exact strings)', (ds, recursive) => {
    checkListing(ds, parseZfsList(renderList(ds), COLUMNS, ctx(recursive)), recursive);
    checkListing(ds, parseZfsGet(renderGet(ds), ctx(recursive)), recursive);
  });

  test('the listing of an empty output says the root does not exist', () => {
    expect(parseZfsList('', COLUMNS, ctx(true)).exists).toBe(false);
  });

  test('written, readonly, mounted, numbers and the 64-bit guid are typed', () => {
    const d: GenDataset = { rel: '', guid: '18446744073709551615', role: 'replica', epoch: 7, written: 12345, versions: [] };
    const info = parseZfsList(renderList([d]), COLUMNS, ctx(false)).datasets.get(ROOT);
    expect(info).toMatchObject({
      guid: '18446744073709551615',
      written: 12345,
      readonly: false,
      mounted: true,
      used: 1024,
      available: 2048,
      referenced: 512,
      origin: null,
      resumeToken: null,
      encryption: 'off',
      extra: { [PROP_ROLE]: 'replica', [PROP_EPOCH]: '7' },
    });
  });

  test("a zvol demote re-created reads its clone's `written` as unknown while still at that snapshot, and as written after", () => {
    const vol = (rebuilt: string | null, snaps: [string, string, number][]) =>
      [
        `${ROOT}\ttype\tvolume\t-`,
        `${ROOT}\tguid\t9\t-`,
        `${ROOT}\tcreatetxg\t1\t-`,
        `${ROOT}\tcreation\t1\t-`,
        `${ROOT}\twritten\t8192\t-`,
        ...(rebuilt ? [`${ROOT}\t${PROP_REBUILT}\t${rebuilt}\tlocal`] : []),
        ...snaps.flatMap(([n, g, txg]) => [
          `${ROOT}@${n}\ttype\tsnapshot\t-`,
          `${ROOT}@${n}\tguid\t${g}\t-`,
          `${ROOT}@${n}\tcreatetxg\t${txg}\t-`,
          `${ROOT}@${n}\tcreation\t${txg}\t-`,
        ]),
        '',
      ].join('\n');
    const written = (text: string) => parseZfsGet(text, ctx(false)).datasets.get(ROOT)?.written;
    expect(written(vol('101', [['s1', '101', 10]]))).toBeNull();
    // A later snapshot (the first receive), another GUID, or no mark: `written` is evidence again.
    expect(
      written(
        vol('101', [
          ['s1', '101', 10],
          ['s2', '102', 20],
        ]),
      ),
    ).toBe(8192);
    expect(written(vol('555', [['s1', '101', 10]]))).toBe(8192);
    expect(written(vol(null, [['s1', '101', 10]]))).toBe(8192);
  });

  test('a user property value with a tab survives zfs get parsing', () => {
    const text = `${ROOT}\ttype\tfilesystem\t-\n${ROOT}\tguid\t1\t-\n${ROOT}\tcreatetxg\t1\t-\n${ROOT}\tcreation\t1\t-\n${ROOT}\tcom.x:note\ta\tb\tlocal\n`;
    expect(parseZfsGet(text, ctx(false), ['com.x:note']).datasets.get(ROOT)?.extra['com.x:note']).toBe('a\tb');
  });

  const badCases: [string, string, RegExp][] = [
    ['wrong column count', `${ROOT}\tfilesystem\t1\n`, /expected 23 columns, got 3/],
    [
      'non-numeric createtxg',
      renderList([{ rel: '', guid: '1', role: null, epoch: null, written: 0, versions: [] }]).replace('\t5\t', '\tx\t'),
      /createtxg is not a number/,
    ],
    [
      'rounded guid',
      renderList([{ rel: '', guid: '1', role: null, epoch: null, written: 0, versions: [] }]).replace(/\t1\t5\t/, '\t4.93E\t5\t'),
      /guid is not an exact/,
    ],
    [
      'unknown type',
      renderList([{ rel: '', guid: '1', role: null, epoch: null, written: 0, versions: [] }]).replace('\tfilesystem\t', '\tpotato\t'),
      /unknown type potato/,
    ],
  ];
  test.each(badCases)('unexpected output throws a bad-output (internal) error naming the line: %s', (_n, text, re) => {
    let err: unknown;
    try {
      parseZfsList(text, COLUMNS, ctx(true));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZfsError);
    expect((err as ZfsError).reason).toBe('bad-output');
    expect((err as ZfsError).kind).toBe('internal');
    expect((err as ZfsError).message).toMatch(re);
    expect((err as ZfsError).message).toContain('tank/data set');
  });

  test('a zfs get line with fewer than 4 columns throws', () => {
    expect(() => parseZfsGet(`${ROOT}\tguid\t1\n`, ctx(true))).toThrow(/expected 4 tab-separated columns/);
  });

  test('versions of a dataset missing from the listing throw', () => {
    expect(() => parseZfsList(`${ROOT}@s\tsnapshot\t1\t2\t3${'\t-'.repeat(COLUMNS.length - 5)}\n`, COLUMNS, ctx(true))).toThrow(/not listed/);
  });
});
