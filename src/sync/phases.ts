// Named points of a sync cycle where a fault can strike, and the fault-injection seam the fault matrix uses:
// `ZFAILOVER_FAULT=<phase>[:<n>]` makes the process SIGKILL itself the n-th time (default 1) it reaches that
// phase. Each phase is a boundary whose recovery by the next cycle is an invariant (docs/design.md §11.1).
// Unset (as in production) the hook is a no-op; a value naming no phase is refused, so a typo cannot pass a test.
import { UsageError } from '../errors.js';

export const SYNC_PHASES = [
  'locked', // the job lock is held, nothing else done
  'source-ready', // the sync snapshot is taken and the source listed
  'stream-running', // a send|recv pipeline runs and its pids are recorded in the lock
  'received', // every pair's steps ran on a target, nothing confirmed
  'confirmed', // the target's new snapshots are confirmed by GUID; cursor and hold not moved yet
  'target-done', // a target is finished (cursor bookmark and hold moved)
  'cleaned', // superseded sync snapshots destroyed on every side; the job state file not yet written
  'state-written', // the job state file is written; the lock not yet released
] as const;
export type SyncPhase = (typeof SYNC_PHASES)[number];

/** Called at each phase; may never return (the fault matrix kills the process there). */
export type PhaseHook = (phase: SyncPhase) => Promise<void> | void;

/** The hook from `ZFAILOVER_FAULT`, or undefined when it is unset. */
export const faultHookFromEnv = (env: NodeJS.ProcessEnv, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): PhaseHook | undefined => {
  const spec = env.ZFAILOVER_FAULT;
  if (spec === undefined || spec === '') return undefined;
  const m = /^([a-z-]+)(?::([1-9]\d*))?$/.exec(spec);
  const phase = m?.[1] as SyncPhase | undefined;
  if (!m || !phase || !SYNC_PHASES.includes(phase))
    throw new UsageError(`ZFAILOVER_FAULT=${spec}: expected <phase>[:<n>], phase one of ${SYNC_PHASES.join(', ')}`);
  let left = m[2] === undefined ? 1 : Number(m[2]);
  return (reached) => {
    if (reached === phase && --left === 0) kill();
  };
};
