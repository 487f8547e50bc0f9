// Properties of the prune decision over random snapshot sets, policies, holds and replication cursors:
// the destroy set is a subset of the input, never holds a protected snapshot, applying it twice destroys
// nothing more, and the keep count of every label holds.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { formatPeriodicSnapshotName, formatSyncSnapshotName } from '../../../src/core/names.js';
import { judgeByPolicy } from '../../../src/core/retention/keep.js';
import { makePolicy, type Policy } from '../../../src/core/retention/policy.js';
import { decidePrune, type Peer, type PruneInput } from '../../../src/core/retention/prune.js';
import { formatSanoidName, formatZfsAutoSnapName, parseRetentionName, type NameFamily } from '../../../src/core/retention/snapshot-names.js';
import { slotStart } from '../../../src/core/retention/schedule.js';
import type { Version } from '../../../src/core/versions.js';
import { operatorSchedules, Z } from './fixtures.js';

const NOW = Z('2026-11-26T04:30:00Z');
const LABELS = ['frequent', 'hourly', 'daily', 'weekly', 'monthly', 'frequently', 'other'];

const nameArb = fc
  .record({
    kind: fc.constantFrom('zfailover', 'zfailover', 'zfailover', 'zfs-auto-snap', 'sanoid', 'sync', 'manual'),
    label: fc.constantFrom(...LABELS),
    // Minutes before now; a few in the future (clock skew).
    minutesAgo: fc.oneof(fc.integer({ min: 0, max: 60 * 24 * 40 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: -2000, max: -1 })),
  })
  .map(({ kind, label, minutesAgo }) => {
    const t = NOW - minutesAgo * 60000;
    switch (kind) {
      case 'zfailover':
        return formatPeriodicSnapshotName(label, t);
      case 'zfs-auto-snap':
        return formatZfsAutoSnapName(label, t);
      case 'sanoid':
        return formatSanoidName(label, t);
      case 'sync':
        return formatSyncSnapshotName('data', 'host-1a2b3c', t);
      default:
        return `manual-${minutesAgo}`;
    }
  });

const snapshotsArb = fc.uniqueArray(nameArb, { minLength: 0, maxLength: 80, size: 'large' }).chain((names) =>
  fc
    .tuple(
      fc.shuffledSubarray([...Array(names.length).keys()], { minLength: names.length, maxLength: names.length }),
      fc.array(fc.nat({ max: 8 }), { minLength: names.length, maxLength: names.length }),
    )
    .map(([order, holds]) =>
      names.map((name, i): Version => ({
        kind: 'snapshot',
        dataset: 'tank/data',
        name,
        guid: `guid-${i}`,
        createtxg: 100 + (order[i] as number) * 3,
        creation: 1_795_000_000 + i,
        userrefs: (holds[i] as number) === 0 ? 1 : 0,
      })),
    ),
);

const policyArb = fc
  .record({
    keeps: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 5, maxLength: 5 }),
    // zfailover names are nearly always prunable; foreign families when the operator hands them over.
    prune: fc
      .tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 9 }))
      .map(([zas, sanoid, n]): NameFamily[] => [
        ...(n > 0 ? (['zfailover'] as const) : []),
        ...(zas ? (['zfs-auto-snap'] as const) : []),
        ...(sanoid ? (['sanoid'] as const) : []),
      ]),
    ceiling: fc.integer({ min: 0, max: 20 }),
  })
  .map(({ keeps, prune, ceiling }): Policy =>
    makePolicy({ schedules: operatorSchedules().map((s, i) => ({ ...s, keep: keeps[i] as number })), prune, pileupCeiling: ceiling }),
  );

const peerArb = (snaps: readonly Version[]): fc.Arbitrary<Peer> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<Peer>({ name: 'lost', state: 'unknown', why: 'unreachable and no job state' }) },
    {
      weight: 6,
      arbitrary: fc
        .record({
          common: snaps.length > 0 ? fc.option(fc.constantFrom(...snaps), { nil: null }) : fc.constant(null),
          targetKeeps: fc.option(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 5, maxLength: 5 }), { nil: null }),
          received: fc.subarray([...snaps]),
        })
        .map(({ common, targetKeeps, received }): Peer => ({
          name: 'backup',
          state: 'known',
          commonGuid: common?.guid ?? null,
          target: {
            afterTxg: common?.createtxg ?? null,
            snapshots: received.filter((v) => common && v.createtxg <= common.createtxg).map((v) => ({ ...v, dataset: 'backup/data' })),
            policy: targetKeeps ? makePolicy({ schedules: operatorSchedules().map((s, i) => ({ ...s, keep: targetKeeps[i] as number })) }) : null,
          },
        })),
    },
  );

const inputArb: fc.Arbitrary<PruneInput> = snapshotsArb.chain((snapshots) =>
  fc
    .record({
      policy: policyArb,
      peers: fc.array(peerArb(snapshots), { maxLength: 2 }),
      side: fc.constantFrom('source' as const, 'target' as const),
      freeze: fc.option(fc.constant('listing looks incomplete'), { nil: undefined, freq: 10 }),
    })
    .map(({ policy, peers, side, freeze }) => ({ dataset: 'tank/data', side, snapshots, policy, peers, now: NOW, ...(freeze ? { freeze } : {}) })),
);

const runs = { numRuns: 300 };

describe('prune decision properties', () => {
  test.prop([inputArb], runs)('the destroy set is a subset of the input snapshots', (input) => {
    const d = decidePrune(input);
    for (const v of d.destroy) expect(input.snapshots).toContain(v);
    expect(d.items).toHaveLength(input.snapshots.length);
  });

  test.prop([inputArb], runs)('never destroys a protected snapshot', (input) => {
    const d = decidePrune(input);
    const common = new Set(input.peers.flatMap((p) => (p.state === 'known' && p.commonGuid ? [p.commonGuid] : [])));
    const verdicts = new Map(judgeByPolicy(input.snapshots, input.policy, NOW).map((v) => [v.snapshot, v]));
    if (input.freeze || input.peers.some((p) => p.state === 'unknown')) expect(d.destroy).toEqual([]);
    for (const v of d.destroy) {
      const verdict = verdicts.get(v);
      expect(v.userrefs ?? 0, `${v.name} is held`).toBe(0);
      expect(common.has(v.guid), `${v.name} is a newest common snapshot`).toBe(false);
      expect(verdict?.name, `${v.name} is not a retention name`).not.toBeNull();
      expect(input.policy.prune, `${v.name}: its family is not prunable`).toContain(verdict?.name?.family);
      expect(verdict?.keep, `${v.name} is kept by the policy`).toBe(false);
      expect(v.name.startsWith('zfailover-sync_')).toBe(false);
    }
  });

  test.prop([inputArb], runs)('applying the decision twice destroys nothing more', (input) => {
    const first = decidePrune(input);
    const gone = new Set(first.destroy);
    const second = decidePrune({ ...input, snapshots: input.snapshots.filter((v) => !gone.has(v)) });
    expect(second.destroy.map((v) => v.name)).toEqual([]);
  });

  test.prop([inputArb], runs)('keep counts hold per label: the policy keeps the same min(keep, occupied) slots afterwards', (input) => {
    const d = decidePrune(input);
    const gone = new Set(d.destroy);
    const slotsKept = (snaps: readonly Version[]) => {
      const m = new Map<string, number[]>();
      for (const v of judgeByPolicy(snaps, input.policy, NOW)) {
        if (v.reason.kind === 'slot') m.set(v.reason.label, [...(m.get(v.reason.label) ?? []), v.reason.slot].sort());
      }
      return m;
    };
    const before = slotsKept(input.snapshots);
    const after = slotsKept(input.snapshots.filter((v) => !gone.has(v)));
    expect(after).toEqual(before);
    // Independently: the occupied slots of each label (names parsed, future ones excluded) cut to `keep`.
    for (const s of input.policy.schedules) {
      const occupied = new Set<number>();
      for (const v of input.snapshots) {
        const n = parseRetentionName(v.name, { sanoidTimeZone: 'UTC' });
        if (n && (n.label === s.label || s.aliases.includes(n.label)) && n.time <= NOW + input.policy.futureToleranceMs) {
          occupied.add(slotStart(s.period, 'UTC', n.time));
        }
      }
      expect((after.get(s.label) ?? []).length).toBe(Math.min(s.keep, occupied.size));
    }
    // What survives of a prunable family unprotected is exactly one snapshot per kept slot.
    const survivors = d.items.filter((i) => i.action === 'keep' && i.code === 'policy');
    for (const s of input.policy.schedules) expect(survivors.filter((i) => i.label === s.label).length).toBe((before.get(s.label) ?? []).length);
  });

  test.prop([inputArb], runs)('the pile-up allowance never exceeds the ceiling', (input) => {
    const d = decidePrune(input);
    const kept = d.items.filter((i) => i.code === 'needed-by-target').length;
    const cut = d.items.filter((i) => i.code === 'pileup-ceiling').length;
    expect(kept).toBe(d.pileup.kept);
    expect(kept).toBeLessThanOrEqual(input.policy.pileupCeiling);
    expect(cut).toBe(Math.max(0, d.pileup.count - input.policy.pileupCeiling));
    expect(d.pileup.exceeded).toBe(cut > 0);
    if (input.side === 'target') expect(d.pileup.count).toBe(0);
  });
});
