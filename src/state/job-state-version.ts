// The job state file's format version, on its own so the zod schema and the hand-written fast check share it
// without importing each other.
export const JOB_STATE_VERSION = 1;
