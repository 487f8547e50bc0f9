// Retention as written in the config (after syntax checks), and its resolution into Policy: templates applied in
// order, per-label fields merged, defaults for the well-known labels, replica keep counts over the source's
// schedules. Every problem names the key path it comes from. Pure.
import { isValidId } from '../names.js';
import { makePolicy, type Policy } from './policy.js';
import { defaultAliases, defaultPeriod, periodProblem, type Period, type Schedule } from './schedule.js';
import type { NameFamily } from './snapshot-names.js';
import { isValidTimeZone } from './zone.js';

export type PeriodName = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const PERIOD_NAMES: readonly PeriodName[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

/** One label's schedule as written; every field optional so templates and overrides can be layered. */
export interface ScheduleSpec {
  readonly keep?: number;
  /** Minutes (a divisor of 1440). */
  readonly every?: number;
  readonly period?: PeriodName;
  /** Minutes after midnight (`at: "23:59"`), or after the start of the interval for `every`/hourly. */
  readonly at?: number;
  /** ISO weekday 1..7 (weekly). */
  readonly on?: number;
  /** Day of month 1..31 (31 = last). */
  readonly day?: number;
  /** Month 1..12 (yearly). */
  readonly month?: number;
  readonly aliases?: readonly string[];
}

export interface HooksSpec {
  /** argv of the command run before the snapshot (first element an absolute path). */
  readonly pre?: readonly string[];
  readonly post?: readonly string[];
  /** Seconds. */
  readonly timeout?: number;
  readonly onPreFailure?: 'skip' | 'snapshot';
}

/** A template, or the policy part of a `snapshots:` entry. */
export interface PolicySpec {
  readonly use?: readonly string[];
  readonly timeZone?: string;
  readonly sanoidTimeZone?: string;
  readonly pruneNames?: readonly NameFamily[];
  readonly pileupCeiling?: number;
  readonly schedules?: Readonly<Record<string, ScheduleSpec>>;
  readonly hooks?: HooksSpec;
}

/** A target's `keep:` — label counts (or schedules) over the source's, optional templates and prune names. */
export interface KeepSpec {
  readonly use?: readonly string[];
  readonly pruneNames?: readonly NameFamily[];
  readonly schedules: Readonly<Record<string, ScheduleSpec>>;
}

export type SpecPath = readonly (string | number)[];

export interface SpecProblem {
  readonly path: SpecPath;
  readonly message: string;
}

export class SpecError extends Error {
  constructor(readonly problems: readonly SpecProblem[]) {
    super(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '));
  }
}

export interface ResolvedHooks {
  readonly pre: readonly string[] | null;
  readonly post: readonly string[] | null;
  readonly timeoutSeconds: number;
  readonly onPreFailure: 'skip' | 'snapshot';
}

export const DEFAULT_HOOK_TIMEOUT = 30;

const PERIOD_KEYS = ['every', 'period'] as const;

/** Later layers win field by field; a layer that sets `every` or `period` replaces the earlier kind. */
const mergeSchedule = (a: ScheduleSpec | undefined, b: ScheduleSpec): ScheduleSpec => {
  if (!a) return b;
  const base: Record<string, unknown> = { ...a };
  if (PERIOD_KEYS.some((k) => b[k] !== undefined)) for (const k of PERIOD_KEYS) delete base[k];
  return { ...base, ...b } as ScheduleSpec;
};

interface Layered {
  spec: PolicySpec;
  schedules: Record<string, ScheduleSpec>;
  /** Where each label was last set, for messages. */
  origin: Record<string, SpecPath>;
}

/** Apply `use:` templates (recursively, each once) then the spec itself. */
const layer = (spec: PolicySpec, templates: Readonly<Record<string, PolicySpec>>, path: SpecPath, problems: SpecProblem[], seen: string[] = []): Layered => {
  const out: Layered = { spec: {}, schedules: {}, origin: {} };
  (spec.use ?? []).forEach((name, i) => {
    const t = Object.hasOwn(templates, name) ? templates[name] : undefined;
    if (!t) {
      const known = Object.keys(templates);
      problems.push({
        path: [...path, 'use', i],
        message: `unknown template '${name}' (${known.length ? `defined: ${known.join(', ')}` : 'no templates are defined'})`,
      });
      return;
    }
    if (seen.includes(name)) {
      problems.push({ path: [...path, 'use', i], message: `template '${name}' uses itself (${[...seen, name].join(' -> ')})` });
      return;
    }
    const inner = layer(t, templates, ['templates', name], problems, [...seen, name]);
    apply(out, inner.spec, inner.schedules, inner.origin);
  });
  const own: Record<string, SpecPath> = {};
  for (const label of Object.keys(spec.schedules ?? {})) own[label] = [...path, 'schedules', label];
  apply(out, spec, spec.schedules ?? {}, own);
  return out;
};

const apply = (out: Layered, spec: PolicySpec, schedules: Readonly<Record<string, ScheduleSpec>>, origin: Record<string, SpecPath>): void => {
  const { schedules: _s, use: _u, ...rest } = spec;
  out.spec = { ...out.spec, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  for (const [label, s] of Object.entries(schedules)) {
    out.schedules[label] = mergeSchedule(out.schedules[label], s);
    out.origin[label] = origin[label] as SpecPath;
  }
};

/** A schedule spec with defaults -> Schedule, or a problem. */
export const buildSchedule = (label: string, s: ScheduleSpec, path: SpecPath, problems: SpecProblem[]): Schedule | null => {
  const bad = (key: string | null, message: string): null => {
    problems.push({ path: key ? [...path, key] : path, message });
    return null;
  };
  if (!isValidId(label)) return bad(null, `invalid label '${label}': letters, digits, '.' and '-', no '_' (it separates name fields)`);
  if (s.keep === undefined) return bad('keep', 'missing required key');
  const period = periodOf(label, s, bad);
  if (!period) return null;
  const problem = periodProblem(period);
  if (problem) return bad(s.at !== undefined ? 'at' : s.every !== undefined ? 'every' : null, problem);
  return { label, period, keep: s.keep, aliases: [...new Set([...defaultAliases(label), ...(s.aliases ?? [])])] };
};

const periodOf = (label: string, s: ScheduleSpec, bad: (key: string | null, message: string) => null): Period | null => {
  if (s.every !== undefined && s.period !== undefined) return bad('every', "give either 'every' or 'period', not both");
  const kind = s.every !== undefined ? 'every' : (s.period ?? label);
  const misplaced = (key: 'on' | 'day' | 'month', allowed: readonly string[]): boolean => s[key] !== undefined && !allowed.includes(kind);
  if (misplaced('on', ['weekly'])) return bad('on', `'on' (a weekday) only applies to weekly schedules`);
  if (misplaced('day', ['monthly', 'yearly'])) return bad('day', `'day' only applies to monthly and yearly schedules`);
  if (misplaced('month', ['yearly'])) return bad('month', `'month' only applies to yearly schedules`);
  const at = s.at;
  const hm = at === undefined ? null : { hour: Math.floor(at / 60), minute: at % 60 };
  if (kind === 'every') return { kind: 'minutes', every: s.every as number, offset: at ?? 0 };
  const base = defaultPeriod(kind === 'frequently' ? 'frequent' : kind);
  if (!base) {
    return bad(null, `label '${label}' has no default schedule: give 'every' (e.g. 10m) or 'period' (${PERIOD_NAMES.join(', ')})`);
  }
  switch (base.kind) {
    case 'minutes':
      return { ...base, offset: at ?? base.offset };
    case 'daily':
      return { ...base, ...(hm ?? {}) };
    case 'weekly':
      return { ...base, ...(hm ?? {}), weekday: s.on ?? base.weekday };
    case 'monthly':
      return { ...base, ...(hm ?? {}), day: s.day ?? base.day };
    case 'yearly':
      return { ...base, ...(hm ?? {}), day: s.day ?? base.day, month: s.month ?? base.month };
  }
};

export interface ResolvedPolicy {
  readonly policy: Policy;
  readonly hooks: ResolvedHooks;
}

/** A `snapshots:` entry (or template) with its templates -> Policy and hooks. Throws SpecError. */
export const resolvePolicySpec = (spec: PolicySpec, templates: Readonly<Record<string, PolicySpec>>, path: SpecPath): ResolvedPolicy => {
  const problems: SpecProblem[] = [];
  const l = layer(spec, templates, path, problems);
  const schedules: Schedule[] = [];
  for (const [label, s] of Object.entries(l.schedules)) {
    const built = buildSchedule(label, s, l.origin[label] ?? [...path, 'schedules', label], problems);
    if (built) schedules.push(built);
  }
  checkAliases(schedules, l.origin, path, problems);
  const tz = l.spec.timeZone ?? 'UTC';
  if (!isValidTimeZone(tz))
    problems.push({ path: [...path, 'time_zone'], message: `unknown time zone '${tz}' (use an IANA name such as UTC or Europe/Berlin)` });
  const sanoidTz = l.spec.sanoidTimeZone ?? tz;
  if (!isValidTimeZone(sanoidTz)) problems.push({ path: [...path, 'sanoid_time_zone'], message: `unknown time zone '${sanoidTz}'` });
  const hooks = l.spec.hooks ?? {};
  if (problems.length > 0) throw new SpecError(problems);
  return {
    policy: makePolicy({
      timeZone: tz,
      sanoidTimeZone: sanoidTz,
      schedules,
      ...(l.spec.pruneNames ? { prune: l.spec.pruneNames } : {}),
      ...(l.spec.pileupCeiling !== undefined ? { pileupCeiling: l.spec.pileupCeiling } : {}),
    }),
    hooks: {
      pre: hooks.pre && hooks.pre.length > 0 ? hooks.pre : null,
      post: hooks.post && hooks.post.length > 0 ? hooks.post : null,
      timeoutSeconds: hooks.timeout ?? DEFAULT_HOOK_TIMEOUT,
      onPreFailure: hooks.onPreFailure ?? 'snapshot',
    },
  };
};

/** Two schedules claiming the same foreign label would make a name count twice. */
const checkAliases = (schedules: readonly Schedule[], origin: Record<string, SpecPath>, path: SpecPath, problems: SpecProblem[]): void => {
  const owner = new Map<string, string>();
  for (const s of schedules) {
    for (const name of [s.label, ...s.aliases]) {
      const prev = owner.get(name);
      if (prev !== undefined && prev !== s.label) {
        problems.push({ path: [...(origin[s.label] ?? [...path, 'schedules', s.label]), 'aliases'], message: `'${name}' already counts as ${prev}` });
      }
      owner.set(name, s.label);
    }
  }
};

/**
 * A replica's policy: the source's schedules (same zone, so slots match the names), keep counts and extra
 * labels from `keep:` and its templates. Without `keep:` the replica keeps what the source keeps.
 */
export const resolveKeepSpec = (
  keep: KeepSpec | undefined,
  source: Policy | null,
  templates: Readonly<Record<string, PolicySpec>>,
  path: SpecPath,
): Policy | null => {
  if (!keep) return source;
  const problems: SpecProblem[] = [];
  const l = layer({ ...(keep.use ? { use: keep.use } : {}), schedules: keep.schedules }, templates, path, problems);
  // Labels sit directly under `keep:` (no `schedules:` level there).
  for (const label of Object.keys(keep.schedules)) l.origin[label] = [...path, label];
  const byLabel = new Map((source?.schedules ?? []).map((s) => [s.label, s]));
  for (const [label, s] of Object.entries(l.schedules)) {
    const src = byLabel.get(label);
    const where = l.origin[label] ?? [...path, label];
    const definesPeriod =
      s.every !== undefined || s.period !== undefined || s.at !== undefined || s.on !== undefined || s.day !== undefined || s.month !== undefined;
    if (src && !definesPeriod) {
      if (s.keep !== undefined) byLabel.set(label, { ...src, keep: s.keep });
      continue;
    }
    const built = buildSchedule(label, s, where, problems);
    if (built) byLabel.set(label, built);
  }
  if (problems.length > 0) throw new SpecError(problems);
  const base = source ?? makePolicy({ schedules: [] });
  const prune = keep.pruneNames ?? l.spec.pruneNames;
  return { ...base, schedules: [...byLabel.values()], ...(prune ? { prune } : {}) };
};
