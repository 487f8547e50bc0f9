// promote and demote hold the job's lock for their whole run, so no sync cycle of the job (Monit's, every 15 s)
// runs in between. A sync holds it for seconds: wait for it, bounded. Another promote/demote holding it is
// refused by name (promotion-in-progress), never waited for.
import { ConflictError, LockBusyError, TransientError } from '../../errors.js';
import { acquireLock, type Lock } from '../../state/lock.js';
import { readRecord } from './record.js';

export const acquireFailoverLock = async (stateDir: string, job: string, o: { now: () => number; signal: AbortSignal; waitMs?: number }): Promise<Lock> => {
  const deadline = o.now() + (o.waitMs ?? 60_000);
  for (;;) {
    try {
      return await acquireLock(stateDir, job, { nowMs: o.now() });
    } catch (e) {
      if (!(e instanceof LockBusyError)) throw e;
      for (const action of ['promote', 'demote'] as const) {
        const r = await readRecord(stateDir, action, job).catch(() => null);
        if (r && r.pid === e.holderPid && r.phase !== 'done') {
          throw new ConflictError(
            'promotion-in-progress',
            `another ${action} of job ${job} is running (pid ${r.pid}, since ${new Date(r.startedAt).toISOString()})`,
            {
              hint: 'wait for it to finish; zfailover status shows its progress',
            },
          );
        }
      }
      if (o.now() >= deadline || o.signal.aborted)
        throw new TransientError(`${e.message}; gave up waiting after ${Math.round((o.waitMs ?? 60_000) / 1000)}s`, {
          hint: 'retry when the running sync has finished',
        });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
};
