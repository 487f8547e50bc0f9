// zfs-auto-snapshot, sanoid and zfailover names on one zfs-fuse dataset: foreign snapshots fill slots (nothing
// is taken twice), are never destroyed until prune_names hands them over, then age out by the same policy;
// held and manual snapshots always stay; the gaps check counts every family.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { zfsFuseUnavailableReason } from '../helpers/zfs-fuse.js';
import { createLab, snapshotNames, zfs, type RetentionLab } from './retention-harness.js';

const reason = zfsFuseUnavailableReason();
const Z = (s: string): number => Date.parse(s);
const ours = (label: string, s: string): string => formatPeriodicSnapshotName(label, Z(s));

const config = (names: string) => `
snapshots:
  - dataset: SRC/data
    prune_names: [${names}]
    schedules:
      frequent: {every: 5m, keep: 2}
      hourly: 4
`;

describe.skipIf(reason)(`zfs-fuse: zfs-auto-snapshot, sanoid and zfailover names on one dataset${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let lab: RetentionLab;
  let ds: string;
  const FOREIGN = [
    'zfs-auto-snap_hourly-2026-11-26-0000',
    'zfs-auto-snap_hourly-2026-11-26-0100',
    'zfs-auto-snap_hourly-2026-11-26-0200',
    'zfs-auto-snap_hourly-2026-11-26-0300',
    'autosnap_2026-11-26_04:00:00_hourly',
    'before-upgrade',
    'zfs-auto-snap_frequent-2026-11-26-0500',
    'autosnap_2026-11-26_05:05:00_frequently',
  ];

  beforeAll(async () => {
    lab = await createLab('h5n');
    ds = `${lab.src.name}/data`;
    await zfs('create', ds);
    for (const n of FOREIGN) await zfs('snapshot', `${ds}@${n}`);
    lab.writeConfig(config('zfailover'));
  });
  afterAll(async () => lab?.destroy());

  test('slots already filled by foreign names are not taken again; two runs in the same minute take one snapshot', async () => {
    const first = await lab.run(['snapshot'], '2026-11-26T05:07:00Z');
    expect(first.line).toMatch(/^OK: took 1 snapshot\(s\) \(hourly\) on 1 dataset\(s\)/);
    const again = await lab.run(['snapshot'], '2026-11-26T05:07:40Z');
    expect(again.line).toMatch(/^OK: nothing due on 1 dataset\(s\)/);
    expect(await snapshotNames(ds)).toEqual([...FOREIGN, ours('hourly', '2026-11-26T05:07:00Z')]);
  });

  test('foreign names count toward the keep count but are not destroyed unless prune_names names them', async () => {
    const plan = await lab.run(['prune', '--dry-run'], '2026-11-26T05:08:00Z');
    expect(plan.out).toMatch(
      /keep {5}zfs-auto-snap_hourly-2026-11-26-0000 +hourly: beyond keep 4 \(rank 6\), but not a name prune may destroy \(prune_names: zfailover\)/,
    );
    expect(plan.out).toMatch(/keep {5}before-upgrade +not a retention name/);
    expect(plan.out).toMatch(/keep {5}autosnap_2026-11-26_05:05:00_frequently +frequent: rank 1 of 2/);
    expect((await lab.run(['prune'], '2026-11-26T05:08:00Z')).line).toMatch(/^OK: nothing to prune on 1 dataset\(s\), 9 snapshots kept/);
    expect(await snapshotNames(ds)).toHaveLength(9);
  });

  test('handed over, the old names age out by the same policy; held and manual snapshots stay', async () => {
    lab.writeConfig(config('zfailover, zfs-auto-snap, sanoid'));
    await zfs('hold', 'keepme', `${ds}@zfs-auto-snap_hourly-2026-11-26-0100`);
    for (const t of ['2026-11-26T06:00:00Z', '2026-11-26T07:00:00Z']) {
      expect((await lab.run(['snapshot'], t)).code).toBe(0);
      const r = await lab.run(['prune'], t);
      expect(r.code, r.out).toBe(0);
    }
    expect(await snapshotNames(ds)).toEqual([
      'zfs-auto-snap_hourly-2026-11-26-0100', // held
      'autosnap_2026-11-26_04:00:00_hourly',
      'before-upgrade',
      ours('hourly', '2026-11-26T05:07:00Z'),
      ours('frequent', '2026-11-26T06:00:00Z'),
      ours('hourly', '2026-11-26T06:00:00Z'),
      ours('frequent', '2026-11-26T07:00:00Z'),
      ours('hourly', '2026-11-26T07:00:00Z'),
    ]);
    await zfs('release', 'keepme', `${ds}@zfs-auto-snap_hourly-2026-11-26-0100`);
  });

  test('the gaps check reads every family: the sanoid 04:00 fills its hourly slot; later slots are missing', async () => {
    const now = await lab.run(['check', 'gaps', '--grace', '5m'], '2026-11-26T07:05:00Z');
    expect(now.line).toMatch(/^WARNING: frequent 06:55 missing on h5ns[0-9a-f]+\/data \| missing=1;0;;0 over=0;;;0 future=0;;;0 expected=6;;;0$/);
    expect(now.out).toContain('frequent 1/2, hourly 4/4');
    const late = await lab.run(['check', 'gaps', '--grace', '5m'], '2026-11-26T08:30:00Z');
    expect(late.code).toBe(1);
    // The hold on zfs-auto-snap_hourly-..-0100 was released: prune has not run since, so it is over-retention now.
    expect(late.line).toMatch(
      /^WARNING: frequent 08:20\.\.08:25 \(2 slots\), hourly 08:00 missing; 1 kept past the policy \(zfs-auto-snap_hourly-2026-11-26-0100\) on h5ns[0-9a-f]+\/data \| missing=3;0;;0 over=1;;;0/,
    );
  });
});
