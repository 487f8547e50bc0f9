// The hand-written job state validator against the zod schema it stands in for: whatever it accepts, zod
// accepts with the same output (values, -0, key order, unknown keys dropped); every state recordRun can build
// is accepted (so sync and the checks never load zod for a sound file); damaged values go to zod.
import { isDeepStrictEqual } from 'node:util';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { checkJobState } from '../../../src/state/job-state-check.js';
import { jobStateSchema } from '../../../src/state/job-state-schema.js';

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
const ms = fc.oneof(fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: 2e12 }));
const real = fc.oneof(fc.constantFrom(0, -0, 1.5, 1e300), fc.double({ noNaN: true, noDefaultInfinity: true }));
const nonneg = fc.oneof(fc.constantFrom(0, -0, 0.5, 2 ** 60), fc.nat());
// fc.dictionary may build prototype-less objects, which JSON.parse and recordRun never do: spread into plain ones.
const dict = <T>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<T>, maxKeys: number) => fc.dictionary(keys, values, { maxKeys }).map((d) => ({ ...d }));
const extra = dict(fc.constantFrom('x', 'extra', 'toString'), fc.jsonValue(), 2);
const withExtra = <T extends object>(arb: fc.Arbitrary<T>) => fc.tuple(arb, extra).map(([o, e]) => ({ ...e, ...o }));
const guid = fc.oneof(fc.constantFrom('0', '18446744073709551615', '99999999999999999999'), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const common = withExtra(fc.record({ name: fc.string({ maxLength: 8 }), guid, creation: real, createtxg: real }));
/** The write-ahead record (optional: files written before it existed have none). */
const inFlight = dict(
  fc.constantFrom('', 'a', 'a/b', 'constructor'),
  fc.array(withExtra(fc.record({ name: fc.string({ maxLength: 8 }), guid })), { maxLength: 3 }),
  3,
);
const target = withExtra(
  fc.record(
    {
      side: fc.string({ maxLength: 8 }),
      lastSuccessAt: fc.option(ms, { nil: null }),
      lastState: fc.constantFrom(...STATES),
      lastSummary: fc.string({ maxLength: 8 }),
      common: fc.option(common, { nil: null }),
      datasets: dict(fc.constantFrom('', 'a', 'a/b', '1', 'constructor'), common, 3),
      inFlight,
      bytes: nonneg,
      resume: fc.option(withExtra(fc.record({ token: fc.constant(true as const), since: ms })), { nil: null }),
      conflict: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    },
    { requiredKeys: ['side', 'lastSuccessAt', 'lastState', 'lastSummary', 'common', 'bytes', 'resume', 'conflict'] },
  ),
);
/** Sound states, shaped like recordRun's output (or a file a newer writer extended with unknown keys). */
const sound = withExtra(
  fc.record({
    version: fc.constant(1),
    job: fc.string({ maxLength: 8 }),
    updatedAt: ms,
    lastRun: fc.option(
      withExtra(
        fc.record(
          { startedAt: ms, finishedAt: ms, state: fc.constantFrom(...STATES), summary: fc.string({ maxLength: 8 }), conflict: fc.string({ maxLength: 8 }) },
          { requiredKeys: ['startedAt', 'finishedAt', 'state', 'summary'] },
        ),
      ),
      { nil: null },
    ),
    lastSuccess: fc.option(withExtra(fc.record({ at: ms, startedAt: ms, durationMs: nonneg, bytes: nonneg, snapshots: ms })), { nil: null }),
    lastError: fc.option(withExtra(fc.record({ at: ms, kind: fc.string({ maxLength: 8 }), message: fc.string({ maxLength: 8 }) })), { nil: null }),
    consecutiveFailures: ms,
    targets: dict(fc.constantFrom('standby', 't2', '0', 'hasOwnProperty'), target, 3),
  }),
);

const ODD = [
  null,
  undefined,
  -1,
  1.5,
  -0,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  '',
  '1',
  '1'.repeat(21),
  'x',
  'OK',
  true,
  false,
  1,
  [],
  {},
  [1],
  Object.create(null),
  new Date(0),
];
/** Every path to a value inside v (objects and arrays), the root excluded. */
const paths = (v: unknown, at: string[] = []): string[][] =>
  typeof v === 'object' && v !== null ? Object.keys(v).flatMap((k) => [[...at, k], ...paths((v as Record<string, unknown>)[k], [...at, k])]) : [];
const clone = <T>(v: T): T => structuredClone(v);
/** A sound state with one value replaced by an odd one, or one key deleted, or a `__proto__` record key. */
const damaged = fc.tuple(sound, fc.nat(), fc.integer({ min: 0, max: ODD.length + 1 })).map(([s, n, k]) => {
  const v = clone(s) as Record<string, unknown>;
  const all = paths(v);
  const path = all[n % all.length] as string[];
  const parent = path.slice(0, -1).reduce<Record<string, unknown>>((o, key) => o[key] as Record<string, unknown>, v);
  const key = path.at(-1) as string;
  if (k === ODD.length) delete parent[key];
  else if (k === ODD.length + 1)
    Object.defineProperty(v.targets, '__proto__', {
      value: clone((v.targets as Record<string, unknown>)[Object.keys(v.targets as object)[0] ?? ''] ?? {}),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  else parent[key] = clone(ODD[k]);
  return v;
});

/** The one property: an accepted value is exactly zod's output; a refused one is zod's to judge. */
const agrees = (value: unknown): 'fast' | 'zod' => {
  const fast = checkJobState(value);
  if (fast === null) return 'zod';
  const r = jobStateSchema.safeParse(value);
  expect(r.success).toBe(true);
  // node's strict deep equality (prototypes, -0): vitest's toStrictEqual misreads a record key `constructor`.
  expect(isDeepStrictEqual(fast, r.data)).toBe(true);
  // Same key order at every level: the state file's bytes depend on it.
  expect(JSON.stringify(fast)).toBe(JSON.stringify(r.data));
  return 'fast';
};

describe('checkJobState vs jobStateSchema', () => {
  propTest.prop([sound], { numRuns: 500 })('sound states: accepted, as zod returns them', (s) => {
    expect(jobStateSchema.safeParse(s).success).toBe(true); // the generator's own check
    expect(agrees(s)).toBe('fast');
    // And the same after a trip through the file format.
    expect(agrees(JSON.parse(JSON.stringify(s)))).toBe('fast');
  });

  test('damaged states: whatever is accepted is exactly what zod returns; both outcomes occur', () => {
    const seen = { fast: 0, zod: 0, zodRefuses: 0 };
    fc.assert(
      fc.property(damaged, (v) => {
        seen[agrees(v)]++;
        if (!jobStateSchema.safeParse(v).success) seen.zodRefuses++;
      }),
      { numRuns: 3000 },
    );
    // Damage zod ignores (a changed unknown key, -0, a float where any number goes) and damage it refuses.
    expect(seen.fast).toBeGreaterThan(100);
    expect(seen.zodRefuses).toBeGreaterThan(1000);
  });

  propTest.prop([fc.jsonValue()], { numRuns: 300 })('any JSON: accepted only as zod would', (v) => {
    agrees(v);
  });

  test('the rare shapes go to zod', () => {
    const s = { version: 1, job: 'data', updatedAt: 1, lastRun: null, lastSuccess: null, lastError: null, consecutiveFailures: 0, targets: {} };
    expect(agrees(s)).toBe('fast');
    expect(agrees(Object.assign(Object.create(null), s))).toBe('zod');
    expect(agrees({ ...s, version: 2 })).toBe('zod');
    expect(agrees({ ...s, targets: JSON.parse('{"__proto__": {}}') })).toBe('zod');
  });
});
