// Hand-written validator of the job state file: every sync cycle and every job check reads that file, and
// loading zod for it cost ~10 ms of each run. It answers only "valid, and here is what zod would return" or
// "not sure"; on "not sure" the caller asks zod (job-state-schema.ts), which decides and words the error. So it
// may refuse more than zod (rare shapes: a prototype-less object, a `__proto__` key, an explicit undefined),
// never less. test/unit/state/job-state-check.test.ts holds it to zod's output on generated and damaged states.
import type { JobState } from './job-state-schema.js';
import { JOB_STATE_VERSION } from './job-state-version.js';

export { JOB_STATE_VERSION };

type Obj = Record<string, unknown>;
const NO = Symbol('not sure');
type Out<T> = T | typeof NO;

// Plain JSON-like objects only (what JSON.parse and recordRun build); anything else is zod's to judge.
const isPlain = (v: unknown): v is Obj => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const str = (v: unknown): Out<string> => (typeof v === 'string' ? v : NO);
// zod 4: z.number() refuses NaN and ±Infinity; .int() means a safe integer; .nonnegative() is >= 0 (-0 passes).
const num = (v: unknown): Out<number> => (typeof v === 'number' && Number.isFinite(v) ? v : NO);
const nonneg = (v: unknown): Out<number> => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : NO);
const count = (v: unknown): Out<number> => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NO);
const state = (v: unknown): Out<string> => (v === 'OK' || v === 'WARNING' || v === 'CRITICAL' || v === 'UNKNOWN' ? v : NO);
const GUID = /^\d{1,20}$/;

/**
 * Builds zod's output for an object schema: keys in the schema's order, unknown keys dropped. A field
 * checker returning NO makes the whole value NO. `optional` keys may be absent (and stay absent).
 */
const object = (v: unknown, fields: Record<string, (x: unknown) => unknown>, optional: readonly string[] = []): Out<Obj> => {
  if (!isPlain(v)) return NO;
  const out: Obj = {};
  for (const key in fields) {
    if (!Object.hasOwn(v, key)) {
      if (optional.includes(key)) continue;
      return NO;
    }
    const x = v[key];
    // zod keeps an explicit undefined on an optional key; not worth mirroring, zod decides.
    if (x === undefined) return NO;
    const r = fields[key]!(x);
    if (r === NO) return NO;
    out[key] = r;
  }
  return out;
};

const nullable =
  <T>(f: (x: unknown) => Out<T>) =>
  (x: unknown): Out<T | null> =>
    x === null ? null : f(x);

const record = (v: unknown, f: (x: unknown) => unknown): Out<Obj> => {
  if (!isPlain(v)) return NO;
  const out: Obj = {};
  for (const key of Object.keys(v)) {
    // zod assigns record entries by key, so a `__proto__` entry would set a prototype: leave that to zod.
    if (key === '__proto__') return NO;
    const r = f(v[key]);
    if (r === NO) return NO;
    out[key] = r;
  }
  // Symbol keys and non-enumerable properties: not from JSON; let zod judge them.
  if (Reflect.ownKeys(v).length !== Object.keys(v).length) return NO;
  return out;
};

const guid = (x: unknown): Out<string> => (typeof x === 'string' && GUID.test(x) ? x : NO);

const common = (v: unknown) =>
  object(v, {
    name: str,
    guid,
    creation: num,
    createtxg: num,
  });

// zod's array: a real array (any prototype tricks are zod's to judge), each element checked, a fresh copy out.
const array = (v: unknown, f: (x: unknown) => unknown): Out<unknown[]> => {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return NO;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    // A hole reads as undefined, which no element schema here accepts.
    const r = f(v[i]);
    if (r === NO) return NO;
    out.push(r);
  }
  return out;
};

const inFlight = (v: unknown) => record(v, (x) => array(x, (s) => object(s, { name: str, guid })));

const target = (v: unknown) =>
  object(
    v,
    {
      side: str,
      lastSuccessAt: nullable(count),
      lastState: state,
      lastSummary: str,
      common: nullable(common),
      datasets: (x) => record(x, common),
      inFlight,
      bytes: nonneg,
      resume: nullable((x) => object(x, { token: (t) => (t === true ? t : NO), since: count })),
      conflict: nullable(str),
    },
    ['datasets', 'inFlight'],
  );

const FIELDS = {
  version: (x: unknown) => (x === JOB_STATE_VERSION ? x : NO),
  job: str,
  updatedAt: count,
  lastRun: nullable((x) => object(x, { startedAt: count, finishedAt: count, state, summary: str, conflict: str }, ['conflict'])),
  lastSuccess: nullable((x) => object(x, { at: count, startedAt: count, durationMs: nonneg, bytes: nonneg, snapshots: count })),
  lastError: nullable((x) => object(x, { at: count, kind: str, message: str })),
  consecutiveFailures: count,
  targets: (x: unknown) => record(x, target),
};

/** What `jobStateSchema.safeParse(value).data` would be, or null when zod must decide (and word the error). */
export const checkJobState = (value: unknown): JobState | null => {
  const r = object(value, FIELDS);
  return r === NO ? null : (r as unknown as JobState);
};
