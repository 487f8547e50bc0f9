// Config slot for snapshots and retention: top-level `templates` and `snapshots`, per-target `keep`.
// Syntax and single values are checked here (every issue carries its key path, so the loader prints
// `config error: FILE:LINE: key.path: message`); templates are resolved, and cross-references checked, by
// src/core/retention/spec.ts. Output is the camelCase spec the core reads.
import * as z from 'zod';
import { isValidId } from '../../core/names.js';
import { PERIOD_NAMES, type HooksSpec, type KeepSpec, type PolicySpec, type ScheduleSpec } from '../../core/retention/spec.js';
import { parseClock, parseWeekday } from '../../core/retention/schedule.js';
import { NAME_FAMILIES, type NameFamily } from '../../core/retention/snapshot-names.js';
import { isValidTimeZone } from '../../core/retention/zone.js';
import { parseDuration } from '../../core/duration.js';
import type { Side } from '../../zfs/side.js';
import { datasetName, duration, ID_RULE, show, side } from './common.js';

type Ctx = z.core.$RefinementCtx<unknown>;

const fail = (ctx: Ctx, input: unknown, message: string, path?: (string | number)[]): typeof z.NEVER => {
  ctx.issues.push({ code: 'custom', message, input, ...(path ? { path } : {}) });
  return z.NEVER;
};

const emptyIfNull = <T extends z.ZodType>(schema: T, empty: unknown) => z.preprocess((v) => (v === null ? empty : v), schema);

const count = (what: string) =>
  z
    .unknown()
    .transform((v, ctx): number =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000 ? v : fail(ctx, v, `${what} must be a whole number 0..1000000, got ${show(v)}`),
    );

/** `every: 5m` -> minutes; slots are aligned to local midnight, so the interval must divide a day. */
const every = z.unknown().transform((v, ctx): number => {
  const s = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : null;
  if (s === null) return fail(ctx, v, `not a duration: ${show(v)} (use e.g. 5m, 15m, 1h)`);
  const minutes = s / 60;
  if (!Number.isInteger(minutes) || minutes < 1 || 1440 % minutes !== 0) {
    return fail(ctx, v, `must be whole minutes that divide a day (1m, 5m, 10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d), got ${show(v)}`);
  }
  return minutes;
});

/** `at: "23:59"` (or `":15"` for hourly) -> minutes after midnight / after the interval start. */
const at = z.unknown().transform((v, ctx): number => {
  if (typeof v !== 'string') return fail(ctx, v, `expected a time "HH:MM" (quoted), got ${show(v)}`);
  const c = parseClock(v.startsWith(':') ? `00${v}` : v);
  return c ? c.hour * 60 + c.minute : fail(ctx, v, `expected a time "HH:MM" between 00:00 and 23:59, got ${show(v)}`);
});

const weekday = z.unknown().transform((v, ctx): number => {
  const d = typeof v === 'string' || typeof v === 'number' ? parseWeekday(v) : null;
  return d ?? fail(ctx, v, `expected a weekday (monday..sunday), got ${show(v)}`);
});

const monthDay = z.unknown().transform((v, ctx): number => {
  if (v === 'last') return 31;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 31 ? v : fail(ctx, v, `expected a day 1..31 or 'last', got ${show(v)}`);
});

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const month = z.unknown().transform((v, ctx): number => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 12) return v;
  const i = typeof v === 'string' && v.length >= 3 ? MONTHS.findIndex((m) => v.toLowerCase().startsWith(m)) : -1;
  return i >= 0 ? i + 1 : fail(ctx, v, `expected a month 1..12 or a name (january ...), got ${show(v)}`);
});

const foreignLabel = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, { error: (iss) => `invalid label ${show(iss.input)}` });

const scheduleObject = z
  .strictObject(
    {
      keep: count('keep').optional(),
      every: every.optional(),
      period: z.enum(PERIOD_NAMES).optional(),
      at: at.optional(),
      on: weekday.optional(),
      day: monthDay.optional(),
      month: month.optional(),
      aliases: z.array(foreignLabel).optional(),
    },
    { error: (iss) => `expected a keep count or a mapping (keep, every, at ...), got ${show(iss.input)}` },
  )
  .transform((s): ScheduleSpec => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ScheduleSpec);

/** `hourly: 24` is short for `hourly: {keep: 24}`. */
export const scheduleSchema = z.preprocess((v) => (typeof v === 'number' ? { keep: v } : v), scheduleObject);

const label = z.string().refine(isValidId, { error: (iss) => `invalid label ${show(iss.input)}: use ${ID_RULE}` });
const templateName = z.string().refine(isValidId, { error: (iss) => `invalid template name ${show(iss.input)}: use ${ID_RULE}` });

const timeZone = z
  .unknown()
  .transform((v, ctx): string =>
    typeof v === 'string' && isValidTimeZone(v) ? v : fail(ctx, v, `unknown time zone ${show(v)} (use an IANA name such as UTC or Europe/Berlin)`),
  );

/** `use: a` or `use: [a, b]`: templates applied in order. */
const use = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(templateName));

const argv = z.unknown().transform((v, ctx): string[] => {
  if (typeof v === 'string') return fail(ctx, v, 'give the command as a list, e.g. [/usr/local/bin/db-freeze, --quiet] (no shell is used)');
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string'))
    return fail(ctx, v, `expected a non-empty list of strings, got ${show(v)}`);
  if (!(v[0] as string).startsWith('/')) return fail(ctx, v, `the command must be an absolute path, got ${show(v[0])}`, [0]);
  return v as string[];
});

export const hooksSchema = z
  .strictObject({
    pre: argv.optional(),
    post: argv.optional(),
    timeout: duration({ min: 1 }).optional(),
    on_pre_failure: z.enum(['skip', 'snapshot']).optional(),
  })
  .transform((h): HooksSpec => ({
    ...(h.pre ? { pre: h.pre } : {}),
    ...(h.post ? { post: h.post } : {}),
    ...(h.timeout !== undefined ? { timeout: h.timeout } : {}),
    ...(h.on_pre_failure ? { onPreFailure: h.on_pre_failure } : {}),
  }));

const pruneNames = z.array(z.enum(NAME_FAMILIES as [NameFamily, ...NameFamily[]]));

const policyFields = {
  use: use.optional(),
  time_zone: timeZone.optional(),
  sanoid_time_zone: timeZone.optional(),
  prune_names: pruneNames.optional(),
  pileup_ceiling: count('pileup_ceiling').optional(),
  schedules: emptyIfNull(z.record(label, scheduleSchema), {}).optional(),
  hooks: hooksSchema.optional(),
};

const policyObject = z.strictObject(policyFields);
type PolicyFields = z.output<typeof policyObject>;

const toPolicySpec = (p: PolicyFields): PolicySpec => ({
  ...(p.use ? { use: p.use } : {}),
  ...(p.time_zone ? { timeZone: p.time_zone } : {}),
  ...(p.sanoid_time_zone ? { sanoidTimeZone: p.sanoid_time_zone } : {}),
  ...(p.prune_names ? { pruneNames: p.prune_names } : {}),
  ...(p.pileup_ceiling !== undefined ? { pileupCeiling: p.pileup_ceiling } : {}),
  ...(p.schedules ? { schedules: p.schedules } : {}),
  ...(p.hooks ? { hooks: p.hooks } : {}),
});

/** `templates:` reusable retention policies, referenced by name with `use:`. */
export const templatesSchema = emptyIfNull(z.record(templateName, policyObject.transform(toPolicySpec)), {}).optional();

export interface SnapshotsEntry extends PolicySpec {
  readonly dataset: Side;
  readonly recursive: boolean;
  readonly exclude: readonly string[];
}

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);

const entrySchema = z
  .strictObject({
    dataset: side('dataset'),
    recursive: z.boolean().optional(),
    exclude: z.array(datasetName('exclude')).optional(),
    ...policyFields,
  })
  .transform((e, ctx): SnapshotsEntry => {
    (e.exclude ?? []).forEach((x, i) => {
      if (!e.recursive) fail(ctx, x, 'exclude needs recursive: true', ['exclude', i]);
      else if (x === e.dataset.dataset || !within(e.dataset.dataset, x)) fail(ctx, x, `'${x}' is not below ${e.dataset.dataset}`, ['exclude', i]);
    });
    return { dataset: e.dataset, recursive: e.recursive ?? false, exclude: e.exclude ?? [], ...toPolicySpec(e) };
  });

/** `snapshots:` which datasets get periodic snapshots and how long they are kept. */
export const snapshotsSchema = emptyIfNull(z.array(entrySchema), []).optional();

const RESERVED_KEEP_KEYS = ['use', 'prune_names'];

/**
 * `jobs.<job>.targets[].keep:` replica-side retention: label counts (or schedules) over the source's,
 * e.g. `{hourly: 48, daily: 30, monthly: 12}`, optionally `use:` templates and `prune_names:`.
 */
export const keepSchema = emptyIfNull(
  z
    .object({ use: use.optional(), prune_names: pruneNames.optional() })
    .catchall(scheduleSchema)
    .transform((k, ctx): KeepSpec => {
      const schedules: Record<string, ScheduleSpec> = {};
      for (const [key, v] of Object.entries(k)) {
        if (RESERVED_KEEP_KEYS.includes(key)) continue;
        if (!isValidId(key)) fail(ctx, key, `invalid label '${key}': use ${ID_RULE}`, [key]);
        else schedules[key] = v as ScheduleSpec;
      }
      return { ...(k.use ? { use: k.use as string[] } : {}), ...(k.prune_names ? { pruneNames: k.prune_names as NameFamily[] } : {}), schedules };
    }),
  {},
).optional();
