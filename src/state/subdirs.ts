// The subdirectories of the state directory, on their own so both its creator (dir.ts) and its trust check
// (trust.ts, loaded lazily by dir.ts) read them without importing each other.
export const STATE_SUBDIRS = ['jobs', 'locks', 'cache', 'ssh', 'alerts', 'promote', 'prune', 'metrics'] as const;
export type StateSubdir = (typeof STATE_SUBDIRS)[number];
