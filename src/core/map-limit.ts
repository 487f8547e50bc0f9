// mapLimit: run an async function over items with at most `limit` calls in flight, results in input order.
// Why: one zfs/zpool child per item at once (zpool status for each of 12 pools) both loads the machine and
// hangs one abort listener per child on the check's AbortSignal, which Node reports on stderr from 11 on
// (MaxListenersExceededWarning); a bound keeps both small whatever the number of items.
export const mapLimit = async <T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
};
