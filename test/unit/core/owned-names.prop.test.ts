// Owned names carry the installation identity (issue 12 item 4): builders and parsers round-trip, the old
// (pre-identity) names still parse as legacy, and ownership never mixes two installations or two jobs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCursorBookmarkName,
  formatHoldTag,
  formatLegacyHoldTag,
  formatSyncSnapshotName,
  isSyncSnapshotName,
  ownCursor,
  ownsSyncSnapshot,
  parseCursorBookmarkName,
  parseHoldTag,
  parsePeriodicSnapshotName,
  parseSyncSnapshotName,
} from '../../../src/core/names.js';

const RUNS = { numRuns: 300 };
const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.-]{0,47}$/);
const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) });
const guid = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
/** The stamp of a sync snapshot, as written before and after identities (ms precision). */
const stamp = (t: number): string => new Date(t).toISOString().replace(/[-:]/g, '');

describe('owned names with an installation identity', () => {
  it('sync snapshot names round-trip; a pre-identity name parses with installation null', () => {
    fc.assert(
      fc.property(id, id, time, (job, inst, t) => {
        expect(parseSyncSnapshotName(formatSyncSnapshotName(job, inst, t))).toEqual({ job, installation: inst, time: t });
        expect(parseSyncSnapshotName(`zfailover-sync_${job}_${stamp(t)}`)).toEqual({ job, installation: null, time: t });
        // Never mistaken for a periodic snapshot (whose prune would then take it).
        expect(parsePeriodicSnapshotName(formatSyncSnapshotName(job, inst, t))).toBeNull();
      }),
      RUNS,
    );
  });

  it('a new-style name is invisible to the pre-identity parser (an old installation never destroys it)', () => {
    // The parser of releases before identities: exactly two fields after the prefix.
    const oldParse = (n: string): boolean => n.startsWith('zfailover-sync_') && n.slice('zfailover-sync_'.length).split('_').length === 2;
    const oldCursor = (n: string): boolean => n.startsWith('zfailover-cursor_') && n.slice('zfailover-cursor_'.length).split('_').length === 3;
    fc.assert(
      fc.property(id, id, id, time, guid, (job, inst, target, t, g) => {
        expect(oldParse(formatSyncSnapshotName(job, inst, t))).toBe(false);
        expect(oldCursor(formatCursorBookmarkName(job, inst, target, g))).toBe(false);
        expect(formatHoldTag(job, inst, target)).not.toBe(formatLegacyHoldTag(job, target));
      }),
      RUNS,
    );
  });

  it('cursor bookmarks and hold tags round-trip, legacy forms included', () => {
    fc.assert(
      fc.property(id, id, id, guid, (job, inst, target, g) => {
        expect(parseCursorBookmarkName(formatCursorBookmarkName(job, inst, target, g))).toEqual({ job, installation: inst, target, guid: g });
        expect(parseCursorBookmarkName(`zfailover-cursor_${job}_${target}_${g}`)).toEqual({ job, installation: null, target, guid: g });
        expect(parseHoldTag(formatHoldTag(job, inst, target))).toEqual({ job, installation: inst, target });
        expect(parseHoldTag(formatLegacyHoldTag(job, target))).toEqual({ job, installation: null, target });
      }),
      RUNS,
    );
  });

  it("ownership: own names and own legacy names only; never another installation's or another job's", () => {
    fc.assert(
      fc.property(id, id, id, id, time, guid, (job, mine, theirs, target, t, g) => {
        const me = { job, installation: mine };
        expect(ownsSyncSnapshot(me, formatSyncSnapshotName(job, mine, t))).toBe(true);
        expect(ownsSyncSnapshot(me, `zfailover-sync_${job}_${stamp(t)}`)).toBe(true);
        expect(ownsSyncSnapshot(me, formatSyncSnapshotName(job, theirs, t))).toBe(theirs === mine);
        expect(ownsSyncSnapshot(me, formatSyncSnapshotName(`${job}x`.slice(0, 48), mine, t))).toBe(`${job}x`.slice(0, 48) === job);
        expect(ownCursor(me, target, formatCursorBookmarkName(job, mine, target, g))?.guid).toBe(g);
        expect(ownCursor(me, target, `zfailover-cursor_${job}_${target}_${g}`)?.guid).toBe(g);
        expect(ownCursor(me, target, formatCursorBookmarkName(job, theirs, target, g)) !== null).toBe(theirs === mine);
        expect(isSyncSnapshotName(formatSyncSnapshotName(job, theirs, t))).toBe(true);
        // Before the first sync the installation has no identity: only legacy names are its own.
        expect(ownsSyncSnapshot({ job, installation: null }, formatSyncSnapshotName(job, theirs, t))).toBe(false);
      }),
      RUNS,
    );
  });

  it('refuses identities that would break the field split', () => {
    for (const bad of ['', 'a_b', '-a', 'a/b', 'a@b', 'x'.repeat(49)]) {
      expect(() => formatSyncSnapshotName('data', bad, 0)).toThrow(RangeError);
      expect(() => formatCursorBookmarkName('data', bad, 't1', '1')).toThrow(RangeError);
      expect(() => formatHoldTag('data', bad, 't1')).toThrow(RangeError);
    }
    expect(parseSyncSnapshotName('zfailover-sync_data_a_b_20261126T042900.123Z')).toBeNull();
    expect(parseSyncSnapshotName('zfailover-sync_data_host-1_2026')).toBeNull();
  });
});
