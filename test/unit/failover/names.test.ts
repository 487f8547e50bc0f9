// Builders and parsers of the failover names (promotion point value, diverged snapshot and aside dataset):
// round trips over generated values, and what the parsers refuse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatDivergedDatasetName,
  formatDivergedSnapshotName,
  formatPromotionPoint,
  parseDivergedDatasetName,
  parseDivergedSnapshotName,
  parsePeriodicSnapshotName,
  parsePromotionPoint,
  parseSyncSnapshotName,
} from '../../../src/core/names.js';

const epoch = fc.integer({ min: 0, max: 1_000_000 });
const seconds = fc.integer({ min: 0, max: 4_102_444_800 });
const guid = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map(String);
const snapName = fc.stringMatching(/^[A-Za-z0-9_\-:. ]{1,40}$/);
const dataset = fc.array(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_\-:.]{0,12}$/), { minLength: 2, maxLength: 4 }).map((p) => p.join('/'));

describe('promotion point (zfailover:promoted / zfailover:diverged)', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(epoch, snapName, guid, seconds, (e, snapshot, g, time) => {
        const p = { epoch: e, snapshot, guid: g, time };
        expect(parsePromotionPoint(formatPromotionPoint(p))).toEqual(p);
      }),
    );
  });

  it('refuses what is not one, and never builds one from bad parts', () => {
    for (const bad of ['-', '', '1,2,3', '1,s,x,5', 'a,s,1,5', '1,s,1,5,6', '1,,1,5', '-1,s,1,5']) expect(parsePromotionPoint(bad)).toBeNull();
    expect(() => formatPromotionPoint({ epoch: 1, snapshot: 'a,b', guid: '1', time: 1 })).toThrow(RangeError);
    expect(() => formatPromotionPoint({ epoch: -1, snapshot: 'a', guid: '1', time: 1 })).toThrow(RangeError);
  });
});

describe('diverged snapshot and aside dataset names', () => {
  it('round-trip, and belong to no other namespace', () => {
    fc.assert(
      fc.property(epoch, seconds, dataset, (e, s, d) => {
        const snap = formatDivergedSnapshotName(e, s * 1000);
        expect(parseDivergedSnapshotName(snap)).toEqual({ epoch: e, time: s * 1000 });
        expect(parseSyncSnapshotName(snap)).toBeNull();
        expect(parsePeriodicSnapshotName(snap)).toBeNull();
        const aside = formatDivergedDatasetName(d, e, s * 1000);
        expect(parseDivergedDatasetName(aside)).toEqual({ dataset: d, epoch: e, time: s * 1000 });
      }),
    );
  });

  it('examples, and refusals', () => {
    expect(formatDivergedSnapshotName(3, Date.UTC(2026, 10, 26, 4, 30))).toBe('zfailover-diverged_3_20261126T043000Z');
    expect(formatDivergedDatasetName('vol1/data', 3, Date.UTC(2026, 10, 26, 4, 30))).toBe('vol1/data.zfailover-diverged-e3-20261126T043000Z');
    expect(() => formatDivergedDatasetName('vol1', 3, 0)).toThrow(/pool's root/);
    expect(parseDivergedDatasetName('vol1/data')).toBeNull();
    expect(parseDivergedDatasetName('vol1/data.zfailover-diverged-e3-20261126T043000Z/child')).toBeNull();
    expect(parseDivergedDatasetName('vol1/data.zfailover-diverged-e3-20261399T043000Z')).toBeNull();
    expect(parseDivergedSnapshotName('zfailover-diverged_x_20261126T043000Z')).toBeNull();
  });
});
