// newestCommon's fast path (the target's newest snapshot checked first, no map) against the plain definition,
// and sortVersionsInPlace against sortVersions, on random histories with shared, duplicate and bookmark GUIDs.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { newestCommon, type CommonPoint } from '../../../src/core/common.js';
import { compareVersions, sortVersions, sortVersionsInPlace, type Version } from '../../../src/core/versions.js';

/** The definition: per GUID the source's first snapshot (else its first bookmark); the newest target snapshot with one. */
const reference = (source: readonly Version[], target: readonly Version[]): CommonPoint | null => {
  const byGuid = new Map<string, Version>();
  for (const v of source) {
    const seen = byGuid.get(v.guid);
    if (!seen || (seen.kind === 'bookmark' && v.kind === 'snapshot')) byGuid.set(v.guid, v);
  }
  let best: CommonPoint | null = null;
  for (const t of target) {
    if (t.kind !== 'snapshot') continue;
    const s = byGuid.get(t.guid);
    if (s && (!best || compareVersions(best.target, t) < 0)) best = { source: s, target: t };
  }
  return best;
};

// Few GUIDs, txgs and names, so that sharing, duplicates and ties are common.
const version = (dataset: string): fc.Arbitrary<Version> =>
  fc.record({
    kind: fc.constantFrom('snapshot' as const, 'snapshot' as const, 'bookmark' as const),
    dataset: fc.constant(dataset),
    name: fc.constantFrom('a', 'b', 'c', 'd'),
    guid: fc.constantFrom('1', '2', '3', '4', '5', '6'),
    createtxg: fc.integer({ min: 1, max: 8 }),
    creation: fc.integer({ min: 0, max: 100 }),
  });
const side = (dataset: string): fc.Arbitrary<Version[]> => fc.array(version(dataset), { maxLength: 10 });

describe('newestCommon', () => {
  fcTest.prop([side('src'), side('dst')], { numRuns: 3000 })('equals the definition (the very same objects)', (source, target) => {
    const got = newestCommon(source, target);
    const want = reference(source, target);
    expect(got).toEqual(want);
    expect(got?.source).toBe(want?.source);
    expect(got?.target).toBe(want?.target);
  });

  test('the fallback runs when the newest target snapshot is not common', () => {
    const v = (kind: Version['kind'], guid: string, createtxg: number): Version => ({
      kind,
      dataset: 'd',
      name: `n${createtxg}`,
      guid,
      createtxg,
      creation: createtxg,
    });
    const source = [v('snapshot', '1', 1), v('bookmark', '2', 2), v('snapshot', '3', 3)];
    const target = [v('snapshot', '1', 1), v('snapshot', '2', 2), v('snapshot', '9', 9)];
    expect(newestCommon(source, target)).toEqual({ source: source[1], target: target[1] });
    expect(newestCommon(source, [v('snapshot', '9', 9)])).toBeNull();
    expect(newestCommon(source, [v('bookmark', '3', 3)])).toBeNull();
  });
});

describe('sortVersionsInPlace', () => {
  fcTest.prop([side('d'), fc.boolean()])('sorts like sortVersions (stable), in place', (vs, presorted) => {
    const input = presorted ? sortVersions(vs) : vs;
    const want = sortVersions(input);
    const copy = [...input];
    const got = sortVersionsInPlace(copy);
    expect(got).toBe(copy);
    expect(got).toEqual(want);
    got.forEach((x, i) => expect(x).toBe(want[i]));
  });
});
