// Bounded parallel work over a dataset tree: at most `limit` tasks in flight, a task starts only after the
// task of its nearest listed ancestor finished (a child's full receive needs its parent on the target), ready
// tasks start in input order (with limit 1 the order is exactly the input's: the serial engine), and a failed
// task never stops unrelated ones: its descendants are still run, told that an ancestor failed, and decide.
// Pure apart from awaiting `run`; the sync engine (sync/target.ts) passes the dataset pairs in.

export interface TreeTask {
  /** Relative dataset name ('' for the root); '/' separates levels. */
  readonly rel: string;
}

export type TaskVerdict = 'ok' | 'failed';

/** Index of each task's nearest ancestor present in `tasks`, or -1. */
export const ancestorIndex = (tasks: readonly TreeTask[]): number[] => {
  const byRel = new Map(tasks.map((t, i) => [t.rel, i] as const));
  return tasks.map((t) => {
    let rel = t.rel;
    while (rel !== '') {
      const cut = rel.lastIndexOf('/');
      rel = cut < 0 ? '' : rel.slice(0, cut);
      const i = byRel.get(rel);
      if (i !== undefined) return i;
    }
    return -1;
  });
};

/**
 * Runs `run(task, index, ancestorFailed)` for every task; resolves with the verdicts in input order. A task
 * counts as failed when `run` says so or throws (the error is left to `run`'s caller: catch inside `run`).
 */
export const runTree = async <T extends TreeTask>(
  tasks: readonly T[],
  limit: number,
  run: (task: T, index: number, ancestorFailed: boolean) => Promise<TaskVerdict>,
): Promise<TaskVerdict[]> => {
  const parent = ancestorIndex(tasks);
  const verdicts: (TaskVerdict | undefined)[] = new Array(tasks.length).fill(undefined);
  const started = new Array<boolean>(tasks.length).fill(false);
  const bound = Math.max(1, Math.floor(limit));
  let inFlight = 0;
  let finished = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      if (finished === tasks.length) {
        resolve(verdicts as TaskVerdict[]);
        return;
      }
      for (let i = 0; i < tasks.length && inFlight < bound; i++) {
        if (started[i]) continue;
        const p = parent[i]!;
        if (p >= 0 && verdicts[p] === undefined) continue;
        started[i] = true;
        inFlight++;
        const ancestorFailed = p >= 0 && verdicts[p] === 'failed';
        void Promise.resolve()
          .then(() => run(tasks[i]!, i, ancestorFailed))
          .catch((): TaskVerdict => 'failed')
          .then((v) => {
            verdicts[i] = v;
            inFlight--;
            finished++;
            pump();
          });
      }
    };
    pump();
  });
};
