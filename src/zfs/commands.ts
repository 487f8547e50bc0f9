// One function per zfs verb on snapshots, holds and bookmarks; runner first. Verbs whose names promise it are
// idempotent: destroying what is gone, holding what is held, releasing what is not held all succeed.
import { type Version } from '../core/versions.js';
import { isAlreadyDone } from './classify.js';
import { badOutput, ZfsError } from './errors.js';
import { zfsErrorFor } from './exec-result.js';
import type { Capabilities, ExecOptions, Runner } from './types.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

const execOpts = (o: CallOptions | undefined): ExecOptions => ({ signal: o?.signal, timeoutMs: o?.timeoutMs });

/** Linux limits one argument to 128 KiB; a batched `ds@a,b,...` stays well below. */
const MAX_BATCH_ARG = 60_000;

const unsupported = (runner: Runner, argv: string[], what: string): ZfsError =>
  new ZfsError({ reason: 'unsupported', argv, host: runner.label, exitCode: null, stderr: '', message: `${what} is not supported on ${runner.label}` });

/** Split names into batches that hold each dataset at most once (OpenZFS: "multiple snapshots of same fs not allowed"). */
export const snapshotBatches = (fullNames: readonly string[]): string[][] => {
  const batches: { names: string[]; datasets: Set<string> }[] = [];
  for (const name of fullNames) {
    const ds = name.slice(0, Math.max(0, name.indexOf('@')));
    let b = batches.find((x) => !x.datasets.has(ds));
    if (!b) batches.push((b = { names: [], datasets: new Set() }));
    b.names.push(name);
    b.datasets.add(ds);
  }
  return batches.map((b) => b.names);
};

/**
 * Take snapshots (full names). Several names go in one atomic call where the host allows it (one per dataset per
 * call); `recursive` adds `-r` (each name is a tree root: the tree is snapshotted atomically); else one call each.
 */
export const snapshot = async (runner: Runner, caps: Capabilities, fullNames: readonly string[], opts: CallOptions & { recursive: boolean }): Promise<void> => {
  if (fullNames.length === 0) return;
  const r = opts.recursive ? ['-r'] : [];
  const batches = caps.multiSnapshot ? snapshotBatches(fullNames) : fullNames.map((n) => [n]);
  for (const batch of batches) await runner.exec(['zfs', 'snapshot', ...r, ...batch], execOpts(opts));
};

/** Exact guid/createtxg/creation/userrefs of the named snapshots or bookmarks, in one `zfs get -Hp`; missing ones are absent. */
export const getVersions = async (runner: Runner, _caps: Capabilities, fullNames: readonly string[], opts?: CallOptions): Promise<Map<string, Version>> => {
  const out = new Map<string, Version>();
  if (fullNames.length === 0) return out;
  const argv = ['zfs', 'get', '-H', '-p', '-o', 'name,property,value', 'guid,createtxg,creation,userrefs', ...fullNames];
  const r = await runner.exec(argv, { ...execOpts(opts), allowFailure: true });
  // zfs get goes on past a missing name (exit 1); any other complaint is a real failure.
  if (r.exitCode !== 0 && r.stderr.split('\n').some((l) => l.trim() !== '' && !/does not exist/.test(l))) throw zfsErrorFor(argv, runner.label, r);
  const props = new Map<string, Map<string, string>>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const a = line.indexOf('\t');
    const b = line.lastIndexOf('\t');
    if (a <= 0 || b <= a) throw badOutput(argv, runner.label, `unexpected output from zfs get: ${JSON.stringify(line)}`);
    const name = line.slice(0, a);
    let m = props.get(name);
    if (!m) props.set(name, (m = new Map()));
    m.set(line.slice(a + 1, b), line.slice(b + 1));
  }
  for (const [name, m] of props) {
    const at = name.indexOf('@');
    const hash = name.indexOf('#');
    const sep = at > 0 ? at : hash;
    const [guid, txg, creation, refs] = [m.get('guid'), m.get('createtxg'), m.get('creation'), m.get('userrefs')];
    if (sep <= 0 || !guid || !/^\d+$/.test(guid) || !txg || !/^\d+$/.test(txg) || !creation || !/^\d+$/.test(creation)) {
      throw badOutput(argv, runner.label, `unexpected properties of ${name} from zfs get`);
    }
    out.set(name, {
      kind: at > 0 ? 'snapshot' : 'bookmark',
      dataset: name.slice(0, sep),
      name: name.slice(sep + 1),
      guid,
      createtxg: Number(txg),
      creation: Number(creation),
      ...(refs && /^\d+$/.test(refs) ? { userrefs: Number(refs) } : {}),
    });
  }
  return out;
};

/** `ds@a,b,c` arguments, each below the per-argument limit. */
export const destroyBatches = (dataset: string, shortNames: readonly string[]): string[] => {
  const out: string[] = [];
  let cur: string[] = [];
  let len = dataset.length + 1;
  for (const s of shortNames) {
    if (cur.length > 0 && len + s.length + 1 > MAX_BATCH_ARG) {
      out.push(`${dataset}@${cur.join(',')}`);
      cur = [];
      len = dataset.length + 1;
    }
    cur.push(s);
    len += s.length + 1;
  }
  if (cur.length > 0) out.push(`${dataset}@${cur.join(',')}`);
  return out;
};

/**
 * Destroy snapshots of one dataset (short names). Already gone is success. A "busy" refusal of a snapshot
 * that carries holds is reported as `held` (OpenZFS < 2.3 and zfs-fuse say only "dataset is busy").
 */
export const destroySnapshots = async (
  runner: Runner,
  caps: Capabilities,
  dataset: string,
  shortNames: readonly string[],
  opts?: CallOptions,
): Promise<void> => {
  if (shortNames.length === 0) return;
  const targets = caps.destroyList ? destroyBatches(dataset, shortNames) : shortNames.map((s) => `${dataset}@${s}`);
  for (const target of targets) {
    try {
      await runner.exec(['zfs', 'destroy', target], execOpts(opts));
    } catch (e) {
      if (e instanceof ZfsError && isAlreadyDone('destroy', e.reason)) continue;
      if (e instanceof ZfsError && e.reason === 'busy') {
        const names = target
          .slice(dataset.length + 1)
          .split(',')
          .map((s) => `${dataset}@${s}`);
        const held = [...(await getVersions(runner, caps, names, opts)).values()].filter((v) => (v.userrefs ?? 0) > 0);
        if (held.length > 0) {
          throw new ZfsError({
            reason: 'held',
            argv: e.argv,
            host: e.host,
            exitCode: e.exitCode,
            stderr: e.stderr,
            message: `cannot destroy ${held.map((v) => `${v.dataset}@${v.name}`).join(', ')}${e.host === 'local' ? '' : ` on ${e.host}`}: held (${held.map((v) => v.userrefs).join(', ')} hold(s))`,
          });
        }
      }
      throw e;
    }
  }
};

/**
 * `zfs destroy -r DATASET@NAME`: one snapshot name on a dataset and every descendant that has it, in one call
 * (and one txg). The caller has checked that nothing below it must keep that name (core/destroy-batch.ts).
 */
export const destroySnapshotRecursive = async (runner: Runner, dataset: string, shortName: string, opts?: CallOptions): Promise<void> => {
  await runner.exec(['zfs', 'destroy', '-r', `${dataset}@${shortName}`], execOpts(opts));
};

/**
 * Snapshots a failed `zfs release` names as not carrying the tag: one line each, on OpenZFS
 * (`cannot release hold from snapshot 'P@s': no such tag ...`) and zfs-fuse (`cannot release 'T' from 'P@s': ...`).
 */
const withoutTag = (stderr: string): Set<string> => new Set([...stderr.matchAll(/'([^'\n]*@[^'\n]*)': no such tag on this dataset/g)].map((m) => m[1]!));

/** Run a verb on several snapshots in one call; when that fails as "already done" for one, redo them one by one. */
const eachIdempotent = async (
  runner: Runner,
  verb: 'hold' | 'release',
  argvFor: (names: readonly string[]) => string[],
  fullNames: readonly string[],
  opts?: CallOptions,
): Promise<void> => {
  if (fullNames.length === 0) return;
  let done = new Set<string>();
  try {
    await runner.exec(argvFor(fullNames), execOpts(opts));
    return;
  } catch (e) {
    if (!(e instanceof ZfsError && isAlreadyDone(verb, e.reason))) throw e;
    if (fullNames.length === 1) return;
    // A release the batch says has nothing to do is done: not redone. This is the every-cycle case of the upgrade
    // path's blind release of the pre-identity tag where tags cannot be listed (zfs-fuse): one call, not one more
    // per snapshot.
    if (verb === 'release') done = withoutTag(e.stderr);
  }
  // Taken as atomic (one snapshot already done may have failed all of them): the others are done one by one.
  for (const name of fullNames) {
    if (done.has(name)) continue;
    try {
      await runner.exec(argvFor([name]), execOpts(opts));
    } catch (e) {
      if (!(e instanceof ZfsError && isAlreadyDone(verb, e.reason))) throw e;
    }
  }
};

/** Put hold `tag` on snapshots; a snapshot that already has it is fine. */
export const hold = (runner: Runner, _caps: Capabilities, tag: string, fullNames: readonly string[], opts?: CallOptions): Promise<void> =>
  eachIdempotent(runner, 'hold', (names) => ['zfs', 'hold', tag, ...names], fullNames, opts);

/** Release hold `tag`; a snapshot without it (or gone) is fine. */
export const release = (runner: Runner, _caps: Capabilities, tag: string, fullNames: readonly string[], opts?: CallOptions): Promise<void> =>
  eachIdempotent(runner, 'release', (names) => ['zfs', 'release', tag, ...names], fullNames, opts);

/** Hold tags per snapshot (OpenZFS; zfs-fuse's `zfs holds` is broken, use `userrefs` there). */
export const holds = async (runner: Runner, caps: Capabilities, fullNames: readonly string[], opts?: CallOptions): Promise<Map<string, string[]>> => {
  const argv = ['zfs', 'holds', '-H', '-p', ...fullNames];
  if (!caps.holdsList) throw unsupported(runner, argv, 'listing holds (zfs holds)');
  const out = new Map<string, string[]>(fullNames.map((n) => [n, []]));
  if (fullNames.length === 0) return out;
  const r = await runner.exec(argv, execOpts(opts));
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [name, tag] = line.split('\t');
    if (!name || tag === undefined) throw badOutput(argv, runner.label, `unexpected output from zfs holds: ${JSON.stringify(line)}`);
    out.set(name, [...(out.get(name) ?? []), tag]);
  }
  return out;
};

/** Bookmark a snapshot; an existing bookmark of the same snapshot (same GUID) is fine, another one is not. */
export const createBookmark = async (runner: Runner, caps: Capabilities, snapshotFull: string, bookmarkFull: string, opts?: CallOptions): Promise<void> => {
  const argv = ['zfs', 'bookmark', snapshotFull, bookmarkFull];
  if (!caps.bookmarks) throw unsupported(runner, argv, 'bookmarks');
  try {
    await runner.exec(argv, execOpts(opts));
  } catch (e) {
    if (!(e instanceof ZfsError && e.reason === 'already-exists')) throw e;
    const vs = await getVersions(runner, caps, [snapshotFull, bookmarkFull], opts);
    if (vs.get(snapshotFull)?.guid !== vs.get(bookmarkFull)?.guid) throw e;
  }
};

/** Destroy a bookmark; one that is gone is fine. */
export const destroyBookmark = async (runner: Runner, caps: Capabilities, bookmarkFull: string, opts?: CallOptions): Promise<void> => {
  const argv = ['zfs', 'destroy', bookmarkFull];
  if (!caps.bookmarks) throw unsupported(runner, argv, 'bookmarks');
  // OpenZFS 2.3: "bookmark 'p/a#b' does not exist." (exit 1).
  const r = await runner.exec(argv, { ...execOpts(opts), allowFailure: true });
  if (r.exitCode === 0 || /bookmark '.*' does not exist|dataset does not exist/.test(r.stderr)) return;
  throw zfsErrorFor(argv, runner.label, r);
};
