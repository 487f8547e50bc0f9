// When the newest common snapshot leaves its retention policy (src/checks/prune-horizon.ts), and how the job
// check's protection verdict uses it.
import { describe, expect, it } from 'vitest';
import { policyHorizon } from '../../../src/checks/prune-horizon.js';
import { protectionOf } from '../../../src/checks/protection.js';
import { makePolicy, standardSchedule } from '../../../src/core/retention/policy.js';
import { formatZfsAutoSnapName } from '../../../src/core/retention/snapshot-names.js';
import type { Schedule } from '../../../src/core/retention/schedule.js';
import type { Version } from '../../../src/core/versions.js';
import { ds } from './builders.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 9);
const hourly = (keep: number) => makePolicy({ schedules: [standardSchedule('hourly', keep) as Schedule], prune: ['zfs-auto-snap'] });
const snap = (dataset: string, t: number, i: number): Version => ({
  kind: 'snapshot',
  dataset,
  name: formatZfsAutoSnapName('hourly', t),
  guid: `g${i}`,
  createtxg: 10 + i,
  creation: Math.floor(t / 1000),
});
const three = (dataset = 'tank/d') => [0, 1, 2].map((i) => snap(dataset, T0 + i * H, i));

describe('policyHorizon', () => {
  it('finds the slot whose new snapshot pushes the oldest beyond keep', () => {
    const s = three();
    const now = T0 + 2.5 * H; // 11:30; the 12:00 snapshot is the 4th of keep 3
    expect(policyHorizon(s, s[0]!, hourly(3), now, H)).toEqual({ kind: 'dropped', at: T0 + 3 * H, label: 'hourly', keep: 3 });
    expect(policyHorizon(s, s[0]!, hourly(3), now, 0.25 * H)).toEqual({ kind: 'kept' });
    expect(policyHorizon(s, s[2]!, hourly(3), now, H)).toEqual({ kind: 'kept' });
  });
  it('says dropped now when the policy already lets it go, ungoverned for names without label/time', () => {
    const s = three();
    expect(policyHorizon(s, s[0]!, hourly(2), T0 + 2.5 * H, H)).toMatchObject({ kind: 'dropped', at: T0 + 2.5 * H });
    const sync: Version = { ...s[0]!, name: 'zfailover-sync_j_20261126T090000.000Z' };
    expect(policyHorizon([sync], sync, hourly(3), T0, H)).toEqual({ kind: 'ungoverned' });
  });
});

describe('protectionOf with a horizon', () => {
  it('names an unprotected common snapshot that its policy drops soon, with when', () => {
    const src = ds('tank/d', three());
    const tgt = ds(
      'bk/d',
      three('bk/d')
        .map((v) => ({ ...v, createtxg: v.createtxg + 100 }))
        .slice(0, 1),
    );
    const p = protectionOf({ job: 'j', installation: 'host-1a2b3c' }, [{ source: src, target: tgt }], {
      now: T0 + 2.5 * H,
      horizonMs: H,
      sourcePolicy: () => hourly(3),
      targetPolicy: () => null,
    });
    expect(p.risks[0]).toBe('common snapshot unprotected and tank/d@zfs-auto-snap_hourly-2026-11-26-0900 leaves in 30m00s its policy (hourly keep 3, source)');
  });
  it('is quiet about the policy when the snapshot is held', () => {
    const held = three().map((v, i) => (i === 0 ? { ...v, userrefs: 1 } : v));
    const tgt = ds('bk/d', [{ ...three('bk/d')[0]!, userrefs: 1 }]);
    const p = protectionOf({ job: 'j', installation: 'host-1a2b3c' }, [{ source: ds('tank/d', held), target: tgt }], {
      now: T0 + 2.5 * H,
      horizonMs: H,
      sourcePolicy: () => hourly(3),
      targetPolicy: () => hourly(3),
    });
    expect(p.risks).toEqual([]);
  });
});
