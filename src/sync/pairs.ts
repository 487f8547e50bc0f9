// Pairs the datasets of a source tree with their places under a target root: which exist, which are new,
// which the source no longer has (reported, never destroyed), which are excluded. Pure.
import { joinName, relativeName, type DatasetInfo, type Listing } from '../core/dataset.js';

export interface DatasetPair {
  /** Path below the roots ('' for the root itself). */
  readonly rel: string;
  readonly source: DatasetInfo;
  readonly targetName: string;
  /** null when the target dataset does not exist yet. */
  readonly target: DatasetInfo | null;
}

export interface Pairing {
  /** Parents before children, so a new child is received after its parent exists. */
  readonly pairs: readonly DatasetPair[];
  /** Target datasets below the root whose source counterpart is gone (or excluded): left alone. */
  readonly orphans: readonly string[];
}

const isExcluded = (name: string, exclude: readonly string[]): boolean => exclude.some((e) => name === e || name.startsWith(`${e}/`));

export const pairDatasets = (source: Listing, target: Listing, opts: { readonly recursive: boolean; readonly exclude: readonly string[] }): Pairing => {
  const pairs: DatasetPair[] = [];
  const seen = new Set<string>();
  for (const ds of source.datasets.values()) {
    const rel = relativeName(source.root, ds.name);
    if (rel === null || (!opts.recursive && rel !== '') || isExcluded(ds.name, opts.exclude)) continue;
    const targetName = joinName(target.root, rel);
    seen.add(targetName);
    pairs.push({ rel, source: ds, targetName, target: target.datasets.get(targetName) ?? null });
  }
  pairs.sort((a, b) => depth(a.rel) - depth(b.rel) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const orphans = opts.recursive ? [...target.datasets.keys()].filter((n) => !seen.has(n) && relativeName(target.root, n) !== null) : [];
  return { pairs, orphans };
};

const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);

/** The nearest ancestor pair of `rel` (for "is my parent being created in this cycle?"). */
export const parentRel = (rel: string): string | null => (rel === '' ? null : rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
