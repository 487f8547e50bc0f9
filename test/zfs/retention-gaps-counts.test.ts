// check gaps counts what it was asked about (issue 19): `check gaps DATASET` counts DATASET's missing slots
// only, not those of its replicas (which prune also decides on), and a missing run of slots reads as slot
// starts with their count (`hourly 02:00..04:00 (3 slots)`), the form the README shows. Constructed on zfs-fuse.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { zfsFuseUnavailableReason } from '../helpers/zfs-fuse.js';
import { createLab, replicate, zfs, type RetentionLab } from './retention-harness.js';

const reason = zfsFuseUnavailableReason();
const T0 = Date.parse('2026-11-26T00:00:00Z');
const at = (h: number): number => T0 + h * 3600_000;

describe.skipIf(reason)(`zfs-fuse: check gaps counts the dataset asked about${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let lab: RetentionLab;
  let src: string;
  let dst: string;
  beforeAll(async () => {
    lab = await createLab('gapc');
    src = `${lab.src.name}/data`;
    dst = `${lab.dst.name}/data`;
    await zfs('create', src);
    lab.writeConfig(`
snapshots:
  - dataset: SRC/data
    schedules: {hourly: 12}
jobs:
  data:
    source: SRC/data
    targets:
      - name: backup
        dataset: DST/data
        keep: {hourly: 12}
`);
    for (let h = 0; h <= 6; h++) expect((await lab.run(['snapshot'], at(h) + 60_000)).code).toBe(0);
    await replicate(src, dst);
    // The replica loses the slots starting at 02:00, 03:00 and 04:00; the source keeps all seven.
    for (const h of [2, 3, 4]) await zfs('destroy', `${dst}@${formatPeriodicSnapshotName('hourly', at(h) + 60_000)}`);
  });
  afterAll(async () => lab?.destroy());

  test("DATASET: only its own slots (the replica's three missing ones are not counted)", async () => {
    const r = await lab.run(['check', 'gaps', src, '--grace', '5m'], at(6) + 30 * 60_000);
    expect(r.code, r.out).toBe(0);
    expect(r.line).toMatch(/^OK: .* \| missing=0;0;;0 /);
  });

  test("every dataset: the replica's run of three slots, as slot starts with the count", async () => {
    const r = await lab.run(['check', 'gaps', '--grace', '5m'], at(6) + 30 * 60_000);
    expect(r.code, r.out).toBe(1);
    expect(r.line).toMatch(new RegExp(`^WARNING: 1 of 2 datasets WARNING: hourly 02:00\\.\\.04:00 \\(3 slots\\) missing on ${dst} \\| missing=3;0;;0 `));
  });
});
