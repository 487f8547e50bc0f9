// The retention part of a loaded config, resolved once per run: the `snapshots:` entries with their policies
// and hooks, the policy that governs a dataset, and each job target's replica policy. Spec problems (unknown
// template, bad schedule) become the loader's `config error: FILE:LINE: key.path: message`.
import type { LoadedConfig } from './loaded.js';
import { sameHost } from './job-checks.js';
import { ConfigFileError, formatKeyPath } from './problems.js';
import type { SnapshotsEntry } from './schema/retention.js';
import { makePolicy, type Policy } from '../core/retention/policy.js';
import type { Schedule } from '../core/retention/schedule.js';
import {
  resolveKeepSpec,
  resolvePolicySpec,
  SpecError,
  type KeepSpec,
  type PolicySpec,
  type ResolvedHooks,
  type SpecPath,
  type SpecProblem,
} from '../core/retention/spec.js';
import type { JobSpec } from './job-spec.js';
import type { Side } from '../zfs/side.js';

export interface SnapshotEntry {
  /** Position in `snapshots:` (for messages and the state file name). */
  readonly index: number;
  readonly side: Side;
  readonly recursive: boolean;
  readonly exclude: readonly string[];
  readonly policy: Policy;
  readonly hooks: ResolvedHooks;
}

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);

/** Run `fn`, turning spec problems into a config error that names file, line and key. */
export const withConfigErrors = <T>(loaded: LoadedConfig, fn: () => T): T => {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    throw new ConfigFileError(
      loaded.path,
      e.problems.map((p) => ({ line: loaded.locate(p.path), path: formatKeyPath(p.path) || null, message: p.message })),
    );
  }
};

const templatesOf = (loaded: LoadedConfig): Readonly<Record<string, PolicySpec>> => (loaded.data.templates ?? {}) as Record<string, PolicySpec>;

export const resolveEntries = (loaded: LoadedConfig): SnapshotEntry[] =>
  withConfigErrors(loaded, () =>
    ((loaded.data.snapshots ?? []) as SnapshotsEntry[]).map((e, index) => {
      const { policy, hooks } = resolvePolicySpec(e, templatesOf(loaded), ['snapshots', index]);
      return { index, side: e.dataset, recursive: e.recursive, exclude: e.exclude, policy, hooks };
    }),
  );

/** Whether `dataset` (on `host`) is governed by the entry: its root, or below it when recursive and not excluded. */
export const entryCovers = (entry: SnapshotEntry, side: Side): boolean => {
  if (!sameHost(entry.side, side)) return false;
  if (side.dataset === entry.side.dataset) return true;
  if (!entry.recursive || !within(entry.side.dataset, side.dataset)) return false;
  return !entry.exclude.some((x) => within(x, side.dataset));
};

/** The most specific entry governing a dataset (the deepest root), or null. */
export const entryFor = (entries: readonly SnapshotEntry[], side: Side): SnapshotEntry | null => {
  let best: SnapshotEntry | null = null;
  for (const e of entries) {
    if (entryCovers(e, side) && (!best || e.side.dataset.length > best.side.dataset.length)) best = e;
  }
  return best;
};

/** A job target's replica policy over the source dataset's policy (null: the target is never pruned). */
export const targetPolicy = (loaded: LoadedConfig | null, job: JobSpec, targetIndex: number, source: Policy | null): Policy | null => {
  const target = job.targets[targetIndex];
  if (!target) return null;
  const path: SpecPath = ['jobs', job.id, 'targets', targetIndex, 'keep'];
  const keep = target.keep as KeepSpec | undefined;
  if (!loaded) return keep ? null : source;
  return withConfigErrors(loaded, () => resolveKeepSpec(keep, source, templatesOf(loaded), path));
};

/**
 * Every retention problem of a parsed config (unknown templates, template cycles, schedules without keep or
 * period, bad aliases), for the loader to report at load time like any other config error. Replica `keep:`
 * labels are checked against the labels any `snapshots:` entry defines.
 */
export const retentionProblems = (data: LoadedConfig['data']): SpecProblem[] => {
  const templates = (data.templates ?? {}) as Record<string, PolicySpec>;
  const problems: SpecProblem[] = [];
  const known = new Map<string, Schedule>();
  ((data.snapshots ?? []) as SnapshotsEntry[]).forEach((e, i) => {
    try {
      for (const s of resolvePolicySpec(e, templates, ['snapshots', i]).policy.schedules) known.set(s.label, s);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      problems.push(...err.problems);
    }
  });
  const union = makePolicy({ schedules: [...known.values()] });
  for (const [job, spec] of Object.entries(data.jobs ?? {})) {
    spec.targets.forEach((t, i) => {
      try {
        resolveKeepSpec(t.keep as KeepSpec | undefined, union, templates, ['jobs', job, 'targets', i, 'keep']);
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        problems.push(...err.problems);
      }
    });
  }
  problems.push(...templateCycles(templates, new Set(problems.map((p) => JSON.stringify(p.path)))));
  return problems;
};

/**
 * Cycles and unknown names in `use:` of every template, used or not: an unused template that uses itself is a
 * mistake waiting for its first user. One depth-first walk over the `use` graph (linear in its size); problems
 * already reported through a user of the template (same path) are not repeated.
 */
const templateCycles = (templates: Readonly<Record<string, PolicySpec>>, reported: Set<string>): SpecProblem[] => {
  const problems: SpecProblem[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const add = (p: SpecProblem): void => {
    const key = JSON.stringify(p.path);
    if (!reported.has(key)) problems.push(p);
    reported.add(key);
  };
  const walk = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    (templates[name]?.use ?? []).forEach((u, i) => {
      const path: SpecPath = ['templates', name, 'use', i];
      if (!Object.hasOwn(templates, u)) return add({ path, message: `unknown template '${u}' (defined: ${Object.keys(templates).join(', ')})` });
      if (state.get(u) === 'open') return add({ path, message: `template '${u}' uses itself (${[...stack.slice(stack.indexOf(u)), u].join(' -> ')})` });
      if (!state.has(u)) walk(u);
    });
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(templates)) if (!state.has(name)) walk(name);
  return problems;
};
