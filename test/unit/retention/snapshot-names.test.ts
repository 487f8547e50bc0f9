// Reading labelled names of zfailover, zfs-auto-snapshot and sanoid; everything else carries no retention meaning.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { formatPeriodicSnapshotName, formatSyncSnapshotName } from '../../../src/core/names.js';
import { formatSanoidName, formatZfsAutoSnapName, parseRetentionName } from '../../../src/core/retention/snapshot-names.js';
import { wallOf } from '../../../src/core/retention/zone.js';
import { Z } from './fixtures.js';

const utc = { sanoidTimeZone: 'UTC' };

describe('retention names', () => {
  test('the three families', () => {
    expect(parseRetentionName('zfailover_hourly_20261126T040000Z', utc)).toEqual({ family: 'zfailover', label: 'hourly', time: Z('2026-11-26T04:00:00Z') });
    expect(parseRetentionName('zfs-auto-snap_hourly-2017-04-05-0500', utc)).toEqual({
      family: 'zfs-auto-snap',
      label: 'hourly',
      time: Z('2017-04-05T05:00:00Z'),
    });
    expect(parseRetentionName('autosnap_2026-11-26_04:29:07_daily', utc)).toEqual({ family: 'sanoid', label: 'daily', time: Z('2026-11-26T04:29:07Z') });
  });

  test('zfs-auto-snapshot labels may contain dashes and underscores; the date is the fixed-width tail', () => {
    expect(parseRetentionName('zfs-auto-snap_my-weekly-2026-11-22-2359', utc)?.label).toBe('my-weekly');
    expect(parseRetentionName('zfs-auto-snap_a_b-2026-11-22-2359', utc)?.label).toBe('a_b');
  });

  test('not retention names: sync snapshots, manual names, impossible dates, missing labels', () => {
    for (const n of [
      formatSyncSnapshotName('data', 'host-1a2b3c', Z('2026-11-26T04:00:00Z')),
      'before-upgrade',
      'zfs-auto-snap_hourly-2026-02-30-0000',
      'zfs-auto-snap_hourly-2026-11-26-2460',
      'zfs-auto-snap-2026-11-26-0400',
      'autosnap_2026-11-26_25:00:00_hourly',
      'autosnap_2026-11-26_04:00:00_',
      'syncoid_host_2026-11-26:04:00:00-GMT00:00',
    ]) {
      expect(parseRetentionName(n, utc), n).toBeNull();
    }
  });

  test('sanoid names are local time: Berlin in winter is UTC+1', () => {
    expect(parseRetentionName('autosnap_2026-11-26_05:29:07_hourly', { sanoidTimeZone: 'Europe/Berlin' })?.time).toBe(Z('2026-11-26T04:29:07Z'));
  });

  test('sanoid in the repeated hour: the creation time decides which pass', () => {
    const name = 'autosnap_2026-10-25_02:30:00_frequently';
    const first = Z('2026-10-25T00:30:00Z');
    const second = Z('2026-10-25T01:30:00Z');
    expect(parseRetentionName(name, { sanoidTimeZone: 'Europe/Berlin', creation: second + 2000 })?.time).toBe(second);
    expect(parseRetentionName(name, { sanoidTimeZone: 'Europe/Berlin', creation: first + 2000 })?.time).toBe(first);
    expect(parseRetentionName(name, { sanoidTimeZone: 'Europe/Berlin' })?.time).toBe(first);
  });

  const labels = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/);
  const minutes = fc.integer({ min: Z('1971-01-01T00:00:00Z') / 60000, max: Z('2099-12-31T23:59:00Z') / 60000 }).map((m) => m * 60000);

  test.prop([labels, minutes])('zfs-auto-snapshot names round-trip at minute precision', (label, t) => {
    expect(parseRetentionName(formatZfsAutoSnapName(label, t), utc)).toEqual({ family: 'zfs-auto-snap', label, time: t });
  });

  test.prop([labels, minutes, fc.integer({ min: 0, max: 59 }), fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York')])(
    'sanoid names round-trip through local time (given the creation time)',
    (label, t0, s, tz) => {
      const t = t0 + s * 1000;
      expect(parseRetentionName(formatSanoidName(label, wallOf(tz, t)), { sanoidTimeZone: tz, creation: t })).toEqual({ family: 'sanoid', label, time: t });
    },
  );

  test.prop([labels.filter((l) => /^[A-Za-z0-9]/.test(l)), minutes])('our periodic names round-trip', (label, t) => {
    expect(parseRetentionName(formatPeriodicSnapshotName(label, t), utc)).toEqual({ family: 'zfailover', label, time: t });
  });
});
