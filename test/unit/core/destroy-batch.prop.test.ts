// batchDestroys: the calls destroy exactly the requested snapshots (a recursive call only where every carrier
// below its root is requested), and collapse a uniform tree into one call.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { relativeName } from '../../../src/core/dataset.js';
import { batchDestroys, carriersIn, type DestroyCall } from '../../../src/core/destroy-batch.js';

/** What the calls destroy, given what carries each name: a recursive call takes every carrier below its root. */
const effect = (calls: readonly DestroyCall[], carriers: (n: string) => readonly string[]): string[] =>
  calls
    .flatMap((c) =>
      c.recursive
        ? carriers(c.names[0]!)
            .filter((d) => relativeName(c.dataset, d) !== null)
            .map((d) => `${d}@${c.names[0]}`)
        : c.names.map((n) => `${c.dataset}@${n}`),
    )
    .sort();

const requested = (what: ReadonlyMap<string, readonly string[]>): string[] => [...what].flatMap(([d, ns]) => [...new Set(ns)].map((n) => `${d}@${n}`)).sort();

// A small tree: p, p/a, p/a/x, p/b, p/b/y, p/c; snapshot names s1..s3.
const DATASETS = ['p', 'p/a', 'p/a/x', 'p/b', 'p/b/y', 'p/c'];
const NAMES = ['s1', 's2', 's3'];
const side = fc.array(fc.tuple(fc.constantFrom(...DATASETS), fc.constantFrom(...NAMES), fc.boolean()), { maxLength: 18 }).map((entries) => {
  const has = new Map<string, Set<string>>(DATASETS.map((d) => [d, new Set()]));
  const what = new Map<string, string[]>();
  for (const [d, n, doomed] of entries) {
    has.get(d)!.add(n);
    if (doomed) what.set(d, [...(what.get(d) ?? []), n]);
  }
  return { has, what };
});

describe('batchDestroys', () => {
  test('destroys exactly what was asked, never a carrier that was not (property)', () => {
    fc.assert(
      fc.property(side, ({ has, what }) => {
        const carriers = carriersIn(has);
        const calls = batchDestroys(what, carriers);
        expect(effect(calls, carriers)).toEqual(requested(what));
        // Each requested snapshot is destroyed by one call only.
        const all = calls.flatMap((c) => c.covers.flatMap((d) => c.names.map((n) => `${d}@${n}`)));
        expect(all.length).toBe(new Set(all).size);
      }),
      { numRuns: 500 },
    );
  });

  test('without a complete listing, one call per dataset', () => {
    fc.assert(
      fc.property(side, ({ what }) => {
        const calls = batchDestroys(what, null);
        expect(calls.every((c) => !c.recursive)).toBe(true);
        expect(calls.map((c) => c.dataset).sort()).toEqual([...what.keys()].sort());
      }),
    );
  });

  test('a uniform tree becomes one recursive call; a held child (not requested) forbids it', () => {
    const has = new Map(DATASETS.map((d) => [d, new Set(['old', 'new'])]));
    const all = new Map(DATASETS.map((d) => [d, ['old']]));
    expect(batchDestroys(all, carriersIn(has))).toEqual([{ dataset: 'p', names: ['old'], recursive: true, covers: DATASETS }]);
    const held = new Map([...all].filter(([d]) => d !== 'p/a/x'));
    const calls = batchDestroys(held, carriersIn(has));
    // p cannot go recursively (p/a/x keeps it), nor p/a; p/b's subtree can.
    expect(calls.filter((c) => c.recursive)).toEqual([{ dataset: 'p/b', names: ['old'], recursive: true, covers: ['p/b', 'p/b/y'] }]);
    expect(effect(calls, carriersIn(has))).toEqual(requested(held));
  });
});
