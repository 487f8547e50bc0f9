// Turns one side's per-dataset destroy sets into zfs calls: one `zfs destroy -r ROOT@NAME` wherever that destroys
// exactly the same snapshots, one `zfs destroy DS@a,b` per dataset otherwise. Pure.
//
// Why: a tree snapshotted with `zfs snapshot -r` supersedes the same name on every dataset; destroying it per
// dataset costs one zfs call (and one txg sync) per dataset and side, 102 calls for a 50-child tree. A recursive
// destroy is licensed only when every dataset below ROOT that carries NAME (from a complete listing of that side)
// is in the destroy set: a held, excluded, target-only or still-needed snapshot of that name forbids it.
import { relativeName } from './dataset.js';

export interface DestroyCall {
  /** The dataset named in the call (the root of a recursive call). */
  readonly dataset: string;
  readonly names: readonly string[];
  /** `zfs destroy -r dataset@names[0]`: destroys the name on `covers`. */
  readonly recursive: boolean;
  /** Datasets whose snapshot the call destroys (just `dataset` unless recursive). */
  readonly covers: readonly string[];
}

/**
 * @param what dataset -> short snapshot names to destroy on this side.
 * @param carriers every dataset of this side that has a snapshot of that short name, from a listing complete
 *   below every dataset of `what`; null when no such listing exists (then no recursive call is made).
 */
export const batchDestroys = (what: ReadonlyMap<string, readonly string[]>, carriers: ((name: string) => readonly string[]) | null): DestroyCall[] => {
  const calls: DestroyCall[] = [];
  const covered = new Set<string>(); // `${dataset}@${name}` already destroyed by a recursive call
  if (carriers) {
    const byName = new Map<string, Set<string>>();
    for (const [ds, names] of what) for (const n of names) (byName.get(n) ?? byName.set(n, new Set()).get(n)!).add(ds);
    for (const [name, doomed] of byName) {
      if (doomed.size < 2) continue;
      const carrying = carriers(name);
      // Candidate roots, topmost first; when one cannot go recursively, its nearest doomed descendants are tried.
      const nearestBelow = (root: string | null): string[] =>
        [...doomed].filter((d) => {
          if (root !== null && (d === root || relativeName(root, d) === null)) return false;
          return ![...doomed].some((a) => a !== d && a !== root && relativeName(a, d) !== null && (root === null || relativeName(root, a) !== null));
        });
      const queue = nearestBelow(null);
      while (queue.length > 0) {
        const top = queue.shift()!;
        const below = carrying.filter((c) => relativeName(top, c) !== null);
        if (below.length >= 2 && below.includes(top) && below.every((c) => doomed.has(c))) {
          calls.push({ dataset: top, names: [name], recursive: true, covers: below });
          for (const c of below) covered.add(`${c}@${name}`);
        } else {
          queue.push(...nearestBelow(top));
        }
      }
    }
  }
  for (const [ds, names] of what) {
    const rest = [...new Set(names)].filter((n) => !covered.has(`${ds}@${n}`));
    if (rest.length > 0) calls.push({ dataset: ds, names: rest, recursive: false, covers: [ds] });
  }
  return calls;
};

/** Every dataset of a listing (dataset -> its snapshot short names) that carries `name`. */
export const carriersIn =
  (snapshotsByDataset: ReadonlyMap<string, ReadonlySet<string>>) =>
  (name: string): string[] =>
    [...snapshotsByDataset].filter(([, names]) => names.has(name)).map(([ds]) => ds);
