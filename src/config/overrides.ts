// The flags of a sync command line as plain data (no commander): what defines an ad-hoc job, and what may adjust a
// configured one. src/cli/commands/sync.ts declares the options that fill it; everything below the CLI reads this.
export interface SyncFlags {
  job?: string;
  all?: boolean;
  recursive?: boolean;
  exclude?: string[];
  /** `--no-sync-snap` gives false; true by default. */
  syncSnap: boolean;
  dryRun?: boolean;
  deadline?: number;
  sshKey?: string;
  sshPort?: number;
  sshOption?: string[];
  id?: string;
  rollbackTarget?: boolean;
  /** `--no-resume`, `--no-bookmarks`, `--no-holds` give false; true by default. */
  resume: boolean;
  bookmarks: boolean;
  holds: boolean;
  raw?: boolean;
  compress?: string;
  mbuffer?: boolean;
  bwlimit?: number;
  concurrency?: number;
  initial?: string;
}

/** The flags with commander's defaults for `--no-x`: what a command line without options means. */
export const NO_SYNC_FLAGS: SyncFlags = { syncSnap: true, resume: true, bookmarks: true, holds: true };

/** CLI flags that may adjust a run; with `--job`, -r/--exclude/--id are refused (they define a job). */
export type JobOverrides = Partial<SyncFlags>;
