// runTree (bounded parallel transfers over a dataset tree) on random trees, limits, failures and completion
// orders chosen by fast-check's scheduler: every task runs once, never before its nearest listed ancestor
// finished, never more than `limit` at once, told exactly when that ancestor failed; limit 1 is the serial order.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { ancestorIndex, runTree, type TaskVerdict } from '../../../src/core/tree-schedule.js';

/** A random tree of relative names, parents before children (as the pairing lists them), some levels left out. */
const treeArb = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 24 }).chain((parents) =>
  fc.array(fc.boolean(), { minLength: parents.length, maxLength: parents.length }).map((dropped) => {
    const rels = [''];
    for (let i = 0; i < parents.length; i++) {
      const p = rels[parents[i]! % rels.length]!;
      rels.push(p === '' ? `d${i}` : `${p}/d${i}`);
    }
    // Dropping a level (an excluded or unlisted dataset) keeps its descendants: they wait for the next listed ancestor.
    return rels.filter((_, i) => i === 0 || !dropped[i - 1]).map((rel) => ({ rel }));
  }),
);

describe('runTree', () => {
  fcTest.prop([treeArb, fc.integer({ min: 1, max: 6 }), fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }), fc.scheduler()], { numRuns: 300 })(
    'runs each task once, after its ancestor, within the bound, with the ancestor verdict; results in input order',
    async (tasks, limit, fails, s) => {
      const parent = ancestorIndex(tasks);
      const done = new Map<number, TaskVerdict>();
      const runs: number[] = [];
      let inFlight = 0;
      let peak = 0;
      const result = runTree(tasks, limit, async (task, i, ancestorFailed) => {
        expect(task).toBe(tasks[i]);
        runs.push(i);
        if (parent[i]! >= 0) {
          expect(done.has(parent[i]!), `${task.rel} started before ${tasks[parent[i]!]!.rel}`).toBe(true);
          expect(ancestorFailed).toBe(done.get(parent[i]!) === 'failed');
        } else expect(ancestorFailed).toBe(false);
        inFlight++;
        peak = Math.max(peak, inFlight);
        const verdict = await s.schedule(Promise.resolve<TaskVerdict>(fails[i]! ? 'failed' : 'ok'), task.rel);
        inFlight--;
        done.set(i, verdict);
        if (fails[i] && i % 3 === 0) throw new Error('a throwing task counts as failed');
        return verdict;
      });
      await s.waitFor(result);
      const verdicts = await result;
      expect(runs.slice().sort((a, b) => a - b)).toEqual(tasks.map((_, i) => i));
      expect(peak).toBeLessThanOrEqual(limit);
      expect(verdicts).toEqual(tasks.map((_, i) => (fails[i] ? 'failed' : 'ok')));
    },
  );

  fcTest.prop([treeArb, fc.scheduler()], { numRuns: 100 })('limit 1 runs in input order (the serial engine)', async (tasks, s) => {
    const order: number[] = [];
    const result = runTree(tasks, 1, async (_t, i) => {
      order.push(i);
      return s.schedule(Promise.resolve<TaskVerdict>('ok'));
    });
    await s.waitFor(result);
    expect(order).toEqual(tasks.map((_, i) => i));
  });

  fcTest.prop([fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 8 })])(
    'siblings really run together: peak = min(limit, siblings)',
    async (limit, n) => {
      const tasks = [{ rel: '' }, ...Array.from({ length: n }, (_, i) => ({ rel: `c${i}` }))];
      let inFlight = 0;
      let peak = 0;
      const gates: (() => void)[] = [];
      const result = runTree(tasks, limit, async (t) => {
        if (t.rel === '') return 'ok';
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((r) => gates.push(r));
        inFlight--;
        return 'ok';
      });
      // Release the children one at a time once as many as may run are waiting: the bound is reached, then held.
      for (let released = 0; released < n; released++) {
        while (gates.length === 0) await new Promise((r) => setImmediate(r));
        if (released === 0) {
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          expect(gates.length).toBe(Math.min(limit, n));
        }
        gates.shift()!();
      }
      await result;
      expect(peak).toBe(Math.min(limit, n));
    },
  );

  test('an empty list resolves at once; a failed parent does not stop its sibling subtree', async () => {
    expect(await runTree([], 3, async () => 'ok')).toEqual([]);
    const seen: [string, boolean][] = [];
    const v = await runTree([{ rel: '' }, { rel: 'a' }, { rel: 'a/x' }, { rel: 'b' }, { rel: 'b/y' }], 2, async (t, _i, failedAbove) => {
      seen.push([t.rel, failedAbove]);
      return t.rel === 'a' ? 'failed' : 'ok';
    });
    expect(v).toEqual(['ok', 'failed', 'ok', 'ok', 'ok']);
    expect(new Map(seen)).toEqual(
      new Map([
        ['', false],
        ['a', false],
        ['a/x', true],
        ['b', false],
        ['b/y', false],
      ]),
    );
  });
});
