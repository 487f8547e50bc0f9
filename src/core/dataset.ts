// One host's view of a dataset tree, as listed once per cycle: datasets with their versions and the
// properties the planner, checks and failover decisions need. Pure data; the zfs adapter fills it.
import type { Version } from './versions.js';

export type Role = 'primary' | 'replica';
export type PropertySource = 'local' | 'inherited' | 'received' | 'default' | 'none';

export interface DatasetInfo {
  readonly name: string;
  readonly type: 'filesystem' | 'volume';
  readonly guid: string;
  readonly createtxg: number;
  readonly creation: number;
  /** Snapshots and bookmarks, sorted by createtxg (bookmark before snapshot on ties). */
  readonly versions: readonly Version[];
  /** Bytes written since the newest snapshot; null when the host cannot tell (zfs-fuse has no `written`). */
  readonly written: number | null;
  /** Partially received stream state (`recv -s`), if any. */
  readonly resumeToken: string | null;
  readonly readonly: boolean | null;
  readonly role: Role | null;
  readonly roleSource: PropertySource;
  readonly epoch: number | null;
  /** `off` or the cipher; null when the host has no encryption support. */
  readonly encryption: string | null;
  readonly encryptionRoot: string | null;
  readonly keyStatus: string | null;
  readonly mountpoint: string | null;
  readonly canmount: string | null;
  readonly mounted: boolean | null;
  /** Clone origin (`pool/ds@snap`) or null. */
  readonly origin: string | null;
  readonly used: number | null;
  readonly available: number | null;
  readonly referenced: number | null;
  /** Any other requested property, raw (e.g. `zfailover:promoted`). */
  readonly extra: Readonly<Record<string, string>>;
}

/** What one `zfs list` (or `zfs get`) call under a root returned. */
export interface Listing {
  /** `local` or `user@host:port`. */
  readonly host: string;
  readonly root: string;
  /** True when the root itself exists. */
  readonly exists: boolean;
  /** Datasets keyed by name, parents before children. */
  readonly datasets: ReadonlyMap<string, DatasetInfo>;
}

/** Path of a dataset relative to a tree root: '' for the root, 'a/b' for root/a/b. */
export const relativeName = (root: string, name: string): string | null => {
  if (name === root) return '';
  return name.startsWith(`${root}/`) ? name.slice(root.length + 1) : null;
};

export const joinName = (root: string, rel: string): string => (rel === '' ? root : `${root}/${rel}`);

/** Encrypted, as sync reads `encryption`: a cipher (not `off`; null where the host has no encryption support). */
export const isEncrypted = (d: Pick<DatasetInfo, 'encryption'> | null | undefined): boolean => d != null && d.encryption !== null && d.encryption !== 'off';
