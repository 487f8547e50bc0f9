// The `zfs list -H -p` parser (parse-list.ts) against its predecessor (test/helpers/parse-list-reference.ts) on
// generated output, well-formed and damaged: the same Listing, or the same error, for every input.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { PROP_EPOCH, PROP_ROLE } from '../../../src/core/names.js';
import { DATASET_PROPERTIES, REPLICATION_PROPERTIES, parseZfsList, type ParseContext } from '../../../src/zfs/parse.js';
import { referenceParseZfsList } from '../../helpers/parse-list-reference.js';

const ROOT = 'tank/data';

/** Column sets the adapter asks for (listArgv), with and without `written`/user properties. */
const columnSets: string[][] = [
  ['name', 'type', ...DATASET_PROPERTIES],
  ['name', 'type', ...REPLICATION_PROPERTIES],
  ['name', 'type', ...REPLICATION_PROPERTIES.filter((p) => p !== 'written' && p !== 'encryption')],
  ['name', 'type', ...REPLICATION_PROPERTIES, 'com.sun:auto-snapshot'],
];

const digits = (min: number, max: number): fc.Arbitrary<string> => fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(String);
/** Damaged values: what a foreign or broken zfs might print in a numeric column. */
const junk = fc.oneof(
  fc.constantFrom(
    '-',
    '',
    '+5',
    '1.5',
    '1e3',
    '4.93E',
    '0x10',
    ' 7',
    '18446744073709551616',
    '123456789012345678901',
    '1234567890123456',
    '123456789012345',
    'on',
    'x\ty',
  ),
  fc.stringMatching(/^[0-9a-z@#\t .+-]{0,6}$/),
);
const value = (good: fc.Arbitrary<string>, damage: boolean): fc.Arbitrary<string> =>
  damage ? fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: junk }) : good;

const goodValue = (col: string, kind: 'dataset' | 'snapshot' | 'bookmark'): fc.Arbitrary<string> => {
  switch (col) {
    case 'guid':
      return digits(1, 2 ** 64 - 1);
    case 'createtxg':
      return digits(1, 2 ** 40);
    case 'creation':
      return digits(0, 2 ** 33);
    case 'userrefs':
      return kind === 'snapshot' ? digits(0, 3) : fc.constant('-');
    case 'written':
    case 'used':
    case 'available':
    case 'referenced':
      return fc.oneof(digits(0, 2 ** 50), fc.constant('-'));
    case PROP_ROLE:
      return fc.constantFrom('primary', 'replica', '-', 'other');
    case PROP_EPOCH:
      return fc.oneof(digits(0, 1000), fc.constantFrom('-', '1234567890123456', 'x'));
    case 'readonly':
      return fc.constantFrom('on', 'off', '-');
    case 'mounted':
      return fc.constantFrom('yes', 'no', '-');
    default:
      return fc.constantFrom('-', 'off', 'aes-256-gcm', '/mnt/a b', 'on');
  }
};

/** Dataset part of a row's name: inside the tree, the root itself, outside it, or a prefix look-alike. */
const datasetName = fc.constantFrom(ROOT, ROOT, `${ROOT}/a`, `${ROOT}/a`, `${ROOT}/a/b`, `${ROOT}/c d`, 'tank/database', 'other/x', '');
const shortName = fc.stringMatching(/^[A-Za-z0-9_:. -]{1,10}$/);

const row = (columns: string[], damage: boolean): fc.Arbitrary<string> =>
  fc
    .record({
      kind: fc.constantFrom('dataset' as const, 'snapshot' as const, 'snapshot' as const, 'snapshot' as const, 'bookmark' as const),
      ds: datasetName,
      short: shortName,
      sep: damage ? fc.constantFrom('right', 'right', 'right', 'right', 'right', 'right', 'right', 'wrong', 'none') : fc.constant('right'),
      typeText: damage
        ? fc.oneof({ weight: 40, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('potato', 'snapshots', 'Snapshot', 'volume', '') })
        : fc.constant(null),
      tabs: damage ? fc.oneof({ weight: 60, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1, -3) }) : fc.constant(0),
    })
    .chain((r) =>
      fc.tuple(...columns.slice(2).map((c) => value(goodValue(c, r.kind), damage))).map((values) => {
        const sep = r.kind === 'bookmark' ? '#' : '@';
        const other = sep === '@' ? '#' : '@';
        const name =
          r.kind === 'dataset' ? r.ds : r.sep === 'right' ? `${r.ds}${sep}${r.short}` : r.sep === 'wrong' ? `${r.ds}${other}${r.short}` : `${r.ds}${r.short}`;
        const type = r.typeText ?? (r.kind === 'dataset' ? 'filesystem' : r.kind);
        const fields = [name, type, ...values];
        // A missing or extra column (the error names the count).
        if (r.tabs < 0) fields.splice(r.tabs, -r.tabs);
        else for (let i = 0; i < r.tabs; i++) fields.push('-');
        return fields.join('\t');
      }),
    );

/**
 * A listing: the tree's datasets first (as zfs prints parents first) unless left out, then rows in any order,
 * blank lines, maybe no final newline. Damaged listings have rare junk values, types, separators and column counts.
 */
const listing = fc.tuple(fc.constantFrom(...columnSets), fc.boolean(), fc.boolean()).chain(([columns, damage, parents]) =>
  fc.record({
    columns: fc.constant(columns),
    rows: fc
      .tuple(
        fc.tuple(
          ...[ROOT, `${ROOT}/a`, `${ROOT}/a/b`, `${ROOT}/c d`].map((ds) =>
            fc.tuple(...columns.slice(2).map((c) => goodValue(c, 'dataset'))).map((vs) => [ds, 'filesystem', ...vs].join('\t')),
          ),
        ),
        fc.array(fc.oneof({ weight: 20, arbitrary: row(columns, damage) }, { weight: 1, arbitrary: fc.constant('') }), { maxLength: 25 }),
      )
      .map(([ds, rest]) => (parents ? [...ds, ...rest] : rest)),
    finalNewline: fc.boolean(),
    recursive: fc.boolean(),
    extra: fc.constantFrom([] as string[], ['com.sun:auto-snapshot']),
  }),
);

type Outcome = { ok: true; value: unknown } | { ok: false; type: string; message: string; reason: unknown };
const outcome = (f: () => unknown): Outcome => {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const err = e as Error & { reason?: unknown };
    return { ok: false, type: err.constructor.name, message: err.message, reason: err.reason };
  }
};

const ctx = (recursive: boolean): ParseContext => ({ host: 'local', root: ROOT, recursive, argv: ['zfs', 'list'] });

describe('parseZfsList agrees with its predecessor', () => {
  fcTest.prop([listing], { numRuns: 1500 })('the same Listing or the same error on generated output', (l) => {
    const text = l.rows.join('\n') + (l.finalNewline ? '\n' : '');
    const got = outcome(() => parseZfsList(text, l.columns, ctx(l.recursive), l.extra));
    const want = outcome(() => referenceParseZfsList(text, l.columns, ctx(l.recursive), l.extra));
    expect(got).toEqual(want);
  });

  test('the generator reaches both outcomes: listings with versions, and errors', () => {
    // Guards the property above against a generator that only ever produces errors (or only trivial listings).
    const samples = fc.sample(listing, { numRuns: 400, seed: 42 });
    const results = samples.map((l) => outcome(() => referenceParseZfsList(l.rows.join('\n'), l.columns, ctx(l.recursive), l.extra)));
    const withVersions = results.filter(
      (r) => r.ok && [...(r.value as { datasets: Map<string, { versions: unknown[] }> }).datasets.values()].some((d) => d.versions.length > 0),
    );
    expect(withVersions.length).toBeGreaterThan(20);
    expect(results.filter((r) => !r.ok).length).toBeGreaterThan(20);
  });

  test('a big tree: the same versions, in createtxg order, sharing one dataset string per dataset', () => {
    const columns = ['name', 'type', ...REPLICATION_PROPERTIES];
    const lines: string[] = [];
    const values = (v: Record<string, string>): string =>
      columns
        .slice(2)
        .map((c) => v[c] ?? '-')
        .join('\t');
    for (let d = 0; d < 50; d++) {
      const ds = d === 0 ? ROOT : `${ROOT}/ds${d}`;
      lines.push(
        `${ds}\tfilesystem\t${values({ guid: String(9e15 + d), createtxg: '5', creation: '1790000000', written: '0', [PROP_ROLE]: 'primary', [PROP_EPOCH]: '3' })}`,
      );
      // Out of order on purpose for odd datasets: the parser must sort by createtxg.
      for (let s = 0; s < 40; s++) {
        const txg = d % 2 ? 100 - s : 10 + s;
        lines.push(
          `${ds}@s${s}\tsnapshot\t${values({ guid: String(1e15 + d * 1000 + s), createtxg: String(txg), creation: String(1790000000 + txg), userrefs: String(s % 2) })}`,
        );
      }
      lines.push(`${ds}#b\tbookmark\t${values({ guid: String(1e15 + d * 1000), createtxg: '10', creation: '1790000010' })}`);
    }
    const text = `${lines.join('\n')}\n`;
    const got = parseZfsList(text, columns, ctx(true));
    expect(got).toEqual(referenceParseZfsList(text, columns, ctx(true)));
    const vs = got.datasets.get(`${ROOT}/ds1`)?.versions ?? [];
    expect(vs).toHaveLength(41);
    expect(vs.map((v) => v.createtxg)).toEqual([...vs.map((v) => v.createtxg)].sort((a, b) => a - b));
    expect(vs[0]).toMatchObject({ kind: 'bookmark', createtxg: 10 });
  });
});
