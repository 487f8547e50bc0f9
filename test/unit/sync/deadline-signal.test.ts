// The cycle's --deadline signal: it fires after a garbage collection too (AbortSignal.timeout inside
// AbortSignal.any did not, nodejs/node#57736), follows the outer signal, and clear() disarms it.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../../src/sync/deadline.js';

const gc = (globalThis as { gc?: () => void }).gc;

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError at the deadline, even when nothing else holds it and memory is collected', async () => {
    const outer = new AbortController();
    const seen = new Promise<unknown>((resolve) => {
      // Only the listener's closure refers to the result: the controller must survive on the timer alone.
      deadlineSignal(outer.signal, 150).signal.addEventListener('abort', (e) => resolve((e.target as AbortSignal).reason), { once: true });
    });
    for (let i = 0; i < 5; i++) {
      gc?.();
      // Allocation pressure for the runs without --expose-gc.
      void Array.from({ length: 20_000 }, (_, j) => ({ j }));
      await tick();
    }
    const reason = await seen;
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it('follows the outer signal with its reason, and clear() disarms the timer', async () => {
    const outer = new AbortController();
    const d = deadlineSignal(outer.signal, 60_000);
    outer.abort(new Error('interrupted by SIGTERM'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('interrupted by SIGTERM');
    const quiet = deadlineSignal(new AbortController().signal, 20);
    quiet.clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(quiet.signal.aborted).toBe(false);
  });
});
