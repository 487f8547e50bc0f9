// Replication lag by GUID (src/core/lag.ts): examples for each case and properties over random histories.
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { computeLag } from '../../../src/core/lag.js';
import { vl } from '../core/fixtures.js';
import { historyArb } from '../core/history.js';

// vl() gives creation = 1_700_000_000 + txg.
const T = 1_700_000_000;

describe('computeLag', () => {
  it('measures from the newest common GUID, not the newest replica name', () => {
    const source = { versions: vl('tank/d', '@a:1', '@b:2', '@c:3'), written: 10 };
    // The replica has b and a snapshot named c whose GUID is not the source's c.
    const lag = computeLag(source, { versions: vl('bk/d', '@a:1', '@b:2', '@c:3=other') }, T + 100);
    expect(lag.common?.source.name).toBe('b');
    expect(lag.rpo).toBe(98);
    expect(lag.behind.map((v) => v.name)).toEqual(['c']);
    expect(lag.replicaAge).toBe(97);
  });
  it('is 0 when the replica has the newest snapshot and the source wrote nothing since', () => {
    const lag = computeLag({ versions: vl('t', '@a:1', '@b:2'), written: 0 }, { versions: vl('r', '@a:1', '@b:2') }, T + 5000);
    expect(lag).toMatchObject({ rpo: 0, current: true, behind: [] });
  });
  it('counts writes since the newest snapshot: the age of the common snapshot', () => {
    const lag = computeLag({ versions: vl('t', '@a:1', '@b:2'), written: 4096 }, { versions: vl('r', '@a:1', '@b:2') }, T + 62);
    expect(lag).toMatchObject({ rpo: 60, current: false });
  });
  it('cannot call a replica current when written is unknown (zfs-fuse)', () => {
    const lag = computeLag({ versions: vl('t', '@a:1'), written: null }, { versions: vl('r', '@a:1') }, T + 31);
    expect(lag.rpo).toBe(30);
  });
  it('uses a source bookmark when the common snapshot is gone on the source', () => {
    const lag = computeLag({ versions: vl('t', '#a:1', '@b:2'), written: 0 }, { versions: vl('r', '@a:1') }, T + 11);
    expect(lag.common?.source.kind).toBe('bookmark');
    expect(lag).toMatchObject({ rpo: 10, behind: [expect.objectContaining({ name: 'b' })] });
  });
  it('has no rpo without a common snapshot, but still a replica lower bound', () => {
    const lag = computeLag({ versions: vl('t', '@x:5'), written: 0 }, { versions: vl('r', '@a:1') }, T + 9);
    expect(lag).toMatchObject({ rpo: null, common: null, replicaAge: 8 });
    expect(computeLag({ versions: [], written: 0 }, { versions: [] }, T).replicaAge).toBeNull();
  });
  it('never reports a negative age for snapshots from the future (clock skew)', () => {
    expect(computeLag({ versions: vl('t', '@a:50'), written: 1 }, { versions: vl('r', '@a:50') }, T).rpo).toBe(0);
  });
});

describe('computeLag properties', () => {
  test.prop([historyArb, fc.integer({ min: 0, max: 10_000 })])('rpo is null exactly without a common GUID, and never below the replica bound', (h, dt) => {
    const now = Math.floor(Date.UTC(2026, 10, 1) / 1000) + 200 + dt;
    const tv = h.target?.versions ?? [];
    const lag = computeLag({ versions: h.source.versions, written: h.target?.written ?? null }, { versions: tv }, now);
    const sourceGuids = new Set(h.source.versions.map((v) => v.guid));
    const hasCommon = tv.some((v) => v.kind === 'snapshot' && sourceGuids.has(v.guid));
    expect(lag.rpo === null).toBe(!hasCommon);
    if (lag.rpo !== null && !lag.current) expect(lag.rpo).toBeGreaterThanOrEqual(lag.replicaAge ?? 0);
    if (lag.current) expect(lag.behind).toEqual([]);
  });
  test.prop([historyArb])('renaming replica snapshots does not change the lag (GUIDs decide)', (h) => {
    const tv = h.target?.versions ?? [];
    const src = { versions: h.source.versions, written: 1 };
    const renamed = tv.map((v, i) => ({ ...v, name: `renamed-${i}` }));
    const a = computeLag(src, { versions: tv }, 2e9);
    const b = computeLag(src, { versions: renamed }, 2e9);
    expect([b.rpo, b.behind.length]).toEqual([a.rpo, a.behind.length]);
  });
});
