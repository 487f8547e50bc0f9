// A replication job as the engine runs it: config owns the type (src/config/job-spec.ts); the engine's name for it.
export * from '../config/job-spec.js';
