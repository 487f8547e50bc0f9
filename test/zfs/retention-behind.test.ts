// A replica that falls behind on zfs-fuse: the source keeps the newest snapshot it has in common with the
// replica however far beyond its policy, keeps what the replica's deeper policy still needs up to the pile-up
// ceiling (WARNING with the count beyond it), and replication then resumes incrementally from that base. With
// the target unreachable, the job state's common snapshot is protected; with no job state, nothing goes.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { writeJsonAtomic } from '../../src/state/atomic.js';
import { ensureStateDir } from '../../src/state/dir.js';
import { snapshotGuids, zfsFuseUnavailableReason } from '../helpers/zfs-fuse.js';
import { createLab, replicate, snapshotNames, zfs, type RetentionLab } from './retention-harness.js';

const reason = zfsFuseUnavailableReason();
// Midnight UTC two days ago: hour-aligned names, and never a fixed date that the real clock (job state, snapshot
// creation times) could overtake.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
const at = (h: number): number => T0 + h * 3600_000;
const hourly = (h: number): string => formatPeriodicSnapshotName('hourly', at(h));

const config = (ceiling: number, target = 'DST/data') => `
snapshots:
  - dataset: SRC/data
    schedules: {hourly: 3}
    pileup_ceiling: ${ceiling}
jobs:
  data:
    source: SRC/data
    targets:
      - name: backup
        dataset: ${target}
        keep: {hourly: 6}
`;

describe.skipIf(reason)(`zfs-fuse: a replica that falls behind keeps its common base${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let lab: RetentionLab;
  let src: string;
  let dst: string;
  const cycle = async (h: number, opts: { replicate: boolean }) => {
    expect((await lab.run(['snapshot'], at(h))).code).toBe(0);
    if (opts.replicate) await replicate(src, dst);
    return lab.run(['prune'], at(h));
  };

  beforeAll(async () => {
    lab = await createLab('h5b');
    src = `${lab.src.name}/data`;
    dst = `${lab.dst.name}/data`;
    await zfs('create', src);
    lab.writeConfig(config(4));
  });
  afterAll(async () => lab?.destroy());

  test('stalled replication: common base and what the replica still needs stay; the rest goes', async () => {
    for (let h = 0; h <= 2; h++) {
      const c = await cycle(h, { replicate: true });
      expect(c.code, c.out).toBe(0);
    }
    expect(await snapshotNames(dst)).toEqual([hourly(0), hourly(1), hourly(2)]);
    // Replication stops; eight more hours of snapshots and prunes on the source.
    let last;
    for (let h = 3; h <= 10; h++) last = await cycle(h, { replicate: false });
    expect(last?.code, last?.out).toBe(0);
    // h2: newest common with the replica; h5-h7: the replica's keep 6 needs them; h8-h10: the source's keep 3.
    expect(await snapshotNames(src)).toEqual([hourly(2), hourly(5), hourly(6), hourly(7), hourly(8), hourly(9), hourly(10)]);
    const state = JSON.parse(readFileSync(`${lab.stateDir}/prune/data.json`, 'utf8'));
    expect(state.datasets.find((d: { side: string }) => d.side === 'source')).toMatchObject({ name: src, count: 3, kept: 3, ceiling: 4 });

    const plan = await lab.run(['prune', '--dry-run'], at(10));
    expect(plan.out).toContain(`keep     ${hourly(2)}  hourly: beyond keep 3 (rank 7), but the newest snapshot in common with data/backup`);
    expect(plan.out).toContain(`keep     ${hourly(5)}  hourly: beyond keep 3 (rank 6), but not yet on data/backup, which keeps it`);
  });

  test('past the pile-up ceiling: WARNING with the count, the oldest pending snapshot is released, never the base', async () => {
    lab.writeConfig(config(2));
    const r = await lab.run(['prune'], at(10));
    expect(r.code).toBe(1);
    expect(r.line).toMatch(/^WARNING: .*data: pile-up: 3 snapshots still needed by a target, ceiling 2; 1 released; destroyed 1 snapshot/);
    expect(await snapshotNames(src)).toEqual([hourly(2), hourly(6), hourly(7), hourly(8), hourly(9), hourly(10)]);
  });

  test('replication resumes incrementally from the kept base (no full resend)', async () => {
    const base = `${src}@${hourly(2)}`;
    await execa('bash', ['-c', 'set -o pipefail; zfs send -I "$1" "$2" | zfs recv "$3"', 'x', base, `${src}@${hourly(10)}`, dst]);
    expect(await snapshotNames(dst)).toEqual([hourly(0), hourly(1), hourly(2), hourly(6), hourly(7), hourly(8), hourly(9), hourly(10)]);
    // The replica's own prune (keep 6) then thins it; the newest common (h10) is its newest snapshot.
    const r = await lab.run(['prune'], at(10));
    expect(r.code, r.out).toBe(0);
    expect(await snapshotNames(dst)).toEqual([hourly(2), hourly(6), hourly(7), hourly(8), hourly(9), hourly(10)].slice(-6));
  });

  test('target unreachable: the job state common snapshot is protected; without job state nothing is destroyed', async () => {
    // Port 1 refuses connections at once: the target cannot be listed.
    lab.writeConfig(config(50, 'root@127.0.0.1:1:DST/data'));
    await ensureStateDir(lab.stateDir);
    const h10 = (await snapshotGuids(src)).get(hourly(10)) as string;
    for (let h = 11; h <= 16; h++) expect((await lab.run(['snapshot'], at(h))).code).toBe(0);

    const frozen = await lab.run(['prune'], at(16));
    expect(frozen.code).toBe(1);
    expect(frozen.line).toMatch(/^WARNING: data\/backup: cannot list root@127\.0\.0\.1:1:.*[Cc]onnection refused; nothing to prune on 1 dataset\(s\)/);
    expect(frozen.out).toMatch(/nothing destroyed: data\/backup: cannot list .*, and the job state knows no common snapshot here/);
    expect(await snapshotNames(src)).toContain(hourly(11));

    await writeJsonAtomic(`${lab.stateDir}/jobs/data.json`, {
      version: 1,
      job: 'data',
      updatedAt: at(10),
      lastRun: null,
      lastSuccess: null,
      lastError: null,
      consecutiveFailures: 0,
      targets: {
        backup: {
          side: 'x',
          lastSuccessAt: at(10),
          lastState: 'OK',
          lastSummary: '',
          common: { name: hourly(10), guid: h10, creation: 0, createtxg: 0 },
          bytes: 0,
          resume: null,
          conflict: null,
        },
      },
    });
    const r = await lab.run(['prune'], at(16));
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/protecting what the job state remembers/);
    // h10 stays as the remembered base; h11-h13 are pending for a replica that keeps 6; h14-h16 by policy.
    expect(await snapshotNames(src)).toEqual([hourly(10), hourly(11), hourly(12), hourly(13), hourly(14), hourly(15), hourly(16)]);
  });
});
