// mapLimit: input order kept, never more than `limit` calls in flight, every item called once, errors surface.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { mapLimit } from '../../../src/core/map-limit.js';

describe('mapLimit', () => {
  test.prop([fc.array(fc.integer(), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(3), { minLength: 40, maxLength: 40 })])(
    'results in input order, at most `limit` in flight, each item once',
    async (items, limit, delays) => {
      let inFlight = 0;
      let peak = 0;
      const seen: number[] = [];
      const out = await mapLimit(items, limit, async (x, i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        seen.push(i);
        for (let k = 0; k < (delays[i] ?? 0); k++) await Promise.resolve();
        inFlight--;
        return x * 2;
      });
      expect(out).toEqual(items.map((x) => x * 2));
      expect(peak).toBeLessThanOrEqual(limit);
      expect([...seen].sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    },
  );

  test.prop([fc.integer({ min: 1, max: 5 })])('a rejection rejects the whole map', async (limit) => {
    await expect(mapLimit([1, 2, 3], limit, async (x) => (x === 2 ? Promise.reject(new Error('boom')) : x))).rejects.toThrow('boom');
  });
});
