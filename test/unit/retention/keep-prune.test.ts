// Examples of what the policy keeps and what prune protects, with the reason for each snapshot.
import { describe, expect, test } from 'vitest';
import { formatSyncSnapshotName } from '../../../src/core/names.js';
import { judgeByPolicy } from '../../../src/core/retention/keep.js';
import { makePolicy, withKeep } from '../../../src/core/retention/policy.js';
import { countDropLooksImplausible, decidePrune, type PruneInput } from '../../../src/core/retention/prune.js';
import { formatZfsAutoSnapName } from '../../../src/core/retention/snapshot-names.js';
import { operatorPolicy, own, snap, Z } from './fixtures.js';

const NOW = Z('2026-11-26T12:00:00Z');
const hours = (n: number, from = '2026-11-26T11:00:00Z') => Array.from({ length: n }, (_, i) => own('hourly', Z(from) - (n - 1 - i) * 3600_000));
const codes = (input: PruneInput) => Object.fromEntries(decidePrune(input).items.map((i) => [i.snapshot.name, `${i.action}:${i.code}`]));

describe('policy verdicts', () => {
  test('newest 24 occupied hourly slots are kept, older ones go; a gap does not shorten history', () => {
    // 30 hourly snapshots, but hours 5..9 (counted from the oldest) are missing.
    const all = hours(30).filter((_, i) => i < 5 || i >= 10);
    const v = judgeByPolicy(all, operatorPolicy(), NOW);
    expect(v.filter((x) => x.keep)).toHaveLength(24);
    expect(v.filter((x) => !x.keep).map((x) => x.reason.kind)).toEqual(['beyond-keep']);
    expect(v[0]?.reason).toMatchObject({ kind: 'beyond-keep', rank: 25, keep: 24 });
  });

  test('a second snapshot in the same slot is a duplicate; the earliest represents the slot', () => {
    const a = own('hourly', '2026-11-26T10:00:05Z');
    const b = own('hourly', '2026-11-26T10:40:00Z');
    const v = judgeByPolicy([b, a], operatorPolicy(), NOW);
    expect(v.map((x) => [x.snapshot.name, x.reason.kind])).toEqual([
      [b.name, 'duplicate'],
      [a.name, 'slot'],
    ]);
  });

  test('foreign names fill the same slots: a zfs-auto-snap hourly and ours in one hour count once', () => {
    const zas = snap(formatZfsAutoSnapName('hourly', Z('2026-11-26T10:00:00Z')));
    const ours = own('hourly', '2026-11-26T10:00:30Z');
    const v = judgeByPolicy([zas, ours], operatorPolicy(), NOW);
    expect(v.map((x) => x.reason.kind)).toEqual(['slot', 'duplicate']);
  });

  test('other names, unknown labels and future dates are kept and do not count', () => {
    const v = judgeByPolicy(
      [
        snap('before-upgrade'),
        snap(formatSyncSnapshotName('data', 'host-1a2b3c', NOW)),
        own('quarterly', '2026-11-01T00:00:00Z'),
        own('hourly', '2027-01-01T00:00:00Z'),
      ],
      operatorPolicy(),
      NOW,
    );
    expect(v.map((x) => [x.keep, x.reason.kind])).toEqual([
      [true, 'other-name'],
      [true, 'other-name'],
      [true, 'unknown-label'],
      [true, 'future'],
    ]);
  });

  test('keep 0 keeps none of the label', () => {
    const v = judgeByPolicy(hours(3), withKeep(operatorPolicy(), { hourly: 0 }), NOW);
    expect(v.every((x) => !x.keep && x.reason.kind === 'beyond-keep')).toBe(true);
  });
});

describe('prune protections', () => {
  const policy = withKeep(operatorPolicy(), { hourly: 3 });
  const base = (snapshots = hours(6)): PruneInput => ({ dataset: 'tank/data', side: 'source', snapshots, policy, peers: [], now: NOW });

  test('without peers: the three oldest hourlies go', () => {
    const d = decidePrune(base());
    expect(d.destroy).toHaveLength(3);
    expect(Object.values(codes(base()))).toEqual([
      'destroy:beyond-keep',
      'destroy:beyond-keep',
      'destroy:beyond-keep',
      'keep:policy',
      'keep:policy',
      'keep:policy',
    ]);
  });

  test('the newest common snapshot of a target stays, held ones stay, foreign names stay', () => {
    const s = hours(6);
    const zas = snap(formatZfsAutoSnapName('hourly', Z('2026-11-25T00:00:00Z')), { txg: 1 });
    const held = { ...(s[1] as (typeof s)[number]), userrefs: 2 };
    const input: PruneInput = {
      ...base([zas, s[0]!, held, ...s.slice(2)]),
      peers: [{ name: 'backup', state: 'known', commonGuid: s[0]!.guid, target: { afterTxg: s[5]!.createtxg, snapshots: [], policy: policy } }],
    };
    expect(Object.values(codes(input))).toEqual([
      'keep:foreign-name',
      'keep:newest-common',
      'keep:held',
      'destroy:beyond-keep',
      'keep:policy',
      'keep:policy',
      'keep:policy',
    ]);
    expect(decidePrune(input).items[1]?.peers).toEqual(['backup']);
  });

  test('a snapshot a killed sync run may have delivered (the write-ahead record) is kept like the common one', () => {
    // The job state remembers s[0] as common; a run sent s[1] and was killed before reading the target back, so
    // s[1] may be the real common snapshot now. The target's own policy would not need it (hourly 1).
    const s = hours(6);
    const target = { afterTxg: s[0]!.createtxg, snapshots: [], policy: withKeep(operatorPolicy(), { hourly: 1 }) };
    const peer = { name: 'backup', state: 'known' as const, commonGuid: s[0]!.guid, target };
    const without = codes({ ...base(s), peers: [peer] });
    expect(without[s[1]!.name]).toBe('destroy:beyond-keep');
    for (const side of ['source', 'target'] as const) {
      const d = decidePrune({ ...base(s), side, peers: [{ ...peer, ...(side === 'target' ? { target: undefined } : {}), maybeCommon: [s[1]!.guid] }] });
      expect(d.items.find((i) => i.snapshot.name === s[1]!.name)).toMatchObject({ action: 'keep', code: 'newest-common', peers: ['backup'] });
      expect(d.destroy.map((v) => v.name)).toEqual([s[2]!.name]);
    }
  });

  test('a target that cannot be seen and has no job state freezes the source', () => {
    const input: PruneInput = { ...base(), peers: [{ name: 'backup', state: 'unknown', why: 'unreachable, no job state' }] };
    const d = decidePrune(input);
    expect(d.destroy).toEqual([]);
    expect(d.frozen).toMatch(/backup: unreachable/);
  });

  test('a lagging target keeps what its deeper policy needs, up to the ceiling, coarse labels first', () => {
    const s = hours(10);
    const daily = own('daily', '2026-11-25T23:59:00Z');
    const target = { afterTxg: s[1]!.createtxg, snapshots: [s[0]!, s[1]!], policy: withKeep(operatorPolicy(), { hourly: 48 }) };
    const input: PruneInput = {
      ...base([...s, daily]),
      policy: withKeep(policy, { daily: 0 }),
      peers: [{ name: 'backup', state: 'known', commonGuid: s[1]!.guid, target }],
    };
    const d = decidePrune(input);
    // Policy keeps 3 hourlies; s[1] is the common one; s[2..6] and the daily (keep 0 here) are needed by backup.
    expect(d.pileup).toEqual({ count: 6, kept: 6, ceiling: 500, exceeded: false });
    expect(d.destroy.map((v) => v.name)).toEqual([s[0]!.name]);

    const tight = decidePrune({ ...input, policy: { ...input.policy, pileupCeiling: 2 } });
    expect(tight.pileup).toEqual({ count: 6, kept: 2, ceiling: 2, exceeded: true });
    // The daily (coarsest) and the newest needed hourly are kept; the older needed hourlies go.
    const kept = tight.items.filter((i) => i.code === 'needed-by-target').map((i) => i.snapshot.name);
    expect(kept).toEqual([s[6]!.name, daily.name]);
  });

  test('a target that keeps everything (no keep policy) needs every pending snapshot', () => {
    const s = hours(6);
    const input: PruneInput = {
      ...base(s),
      peers: [{ name: 'backup', state: 'known', commonGuid: null, target: { afterTxg: null, snapshots: [], policy: null } }],
    };
    expect(decidePrune(input).destroy).toEqual([]);
    expect(decidePrune(input).pileup.count).toBe(3);
  });

  test('freeze: nothing goes and every item says why', () => {
    const d = decidePrune({ ...base(), freeze: 'snapshot count dropped from 40 to 6' });
    expect(d.destroy).toEqual([]);
    expect(d.items.filter((i) => i.code === 'frozen')).toHaveLength(3);
  });

  test('only zfailover names are pruned unless the policy hands over foreign families', () => {
    const zas = [0, 1, 2, 3, 4].map((i) => snap(formatZfsAutoSnapName('hourly', Z('2026-11-26T07:00:00Z') + i * 3600_000)));
    expect(decidePrune(base(zas)).destroy).toEqual([]);
    expect(decidePrune({ ...base(zas), policy: makePolicy({ ...policy, prune: ['zfailover', 'zfs-auto-snap'] }) }).destroy).toHaveLength(2);
  });

  test('implausible count drops', () => {
    expect(countDropLooksImplausible(undefined, 0)).toBe(false);
    expect(countDropLooksImplausible(6, 0)).toBe(false);
    expect(countDropLooksImplausible(40, 21)).toBe(false);
    expect(countDropLooksImplausible(40, 19)).toBe(true);
  });
});
