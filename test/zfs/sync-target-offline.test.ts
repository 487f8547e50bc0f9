// The iron rule when a target pool is offline (exported, a disk shelf powered down): the target is not "empty",
// so nothing is planned as a full send, and the last snapshot the source shares with it survives however many
// cycles run meanwhile. When the pool is back, replication goes on incrementally (no full resend).
import { mkdirSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { guidsOf, mountpointOf, snapshotNames, writeRandom } from '../helpers/replica.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: a target pool that is offline${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let stateDir: string;
  const sync = () => runCli(['--state-dir', stateDir, 'sync', '--json', `${src.name}/data set`, `${dst.name}/data set`]);

  beforeAll(async () => {
    src = await createPool('zfooffs');
    dst = await createPool('zfooffd');
    stateDir = `${TEST_ROOT}/${uniqueName('state-off-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await execa('/usr/sbin/zpool', ['import', '-d', TEST_ROOT, dst.name], { reject: false });
    await src?.destroy();
    await dst?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps the common snapshot while the target pool is exported, then resumes incrementally', async () => {
    await zfs('create', `${src.name}/data set`);
    await writeRandom(`${await mountpointOf(`${src.name}/data set`)}/a.bin`, 1);
    const first = await sync();
    expect(first.code, first.stdout).toBe(0);
    const common = (await snapshotNames(`${dst.name}/data set`)).at(-1)!;
    expect(common).toMatch(/^zfailover-sync_/);

    await execa('/usr/sbin/zpool', ['export', dst.name]);
    for (let i = 0; i < 2; i++) {
      await writeRandom(`${await mountpointOf(`${src.name}/data set`)}/b${i}.bin`, 1);
      const r = await sync();
      expect(r.code, r.stdout).not.toBe(0);
      // Never a full send into a pool that is not there.
      const report = JSON.parse(r.stdout) as { report: { targets: { datasets: { steps: { kind: string }[] }[] }[] } };
      expect(report.report.targets.flatMap((t) => t.datasets.flatMap((d) => d.steps.map((s) => s.kind)))).not.toContain('full');
      expect(await snapshotNames(`${src.name}/data set`), `the common snapshot survives cycle ${i + 1}`).toContain(common);
      // The hint is the command that brings the pool back (local target: no ssh around it).
      expect(r.stdout).toContain(`"hint": "zpool import ${dst.name}"`);
    }

    await execa('/usr/sbin/zpool', ['import', '-d', TEST_ROOT, dst.name]);
    const back = await sync();
    expect(back.code, back.stdout).toBe(0);
    const steps = (
      JSON.parse(back.stdout) as { report: { targets: { datasets: { steps: { kind: string }[] }[] }[] } }
    ).report.targets[0]!.datasets[0]!.steps.map((s) => s.kind);
    expect(steps).toEqual(['incremental']);
    const newest = (await snapshotNames(`${src.name}/data set`)).at(-1)!;
    expect((await guidsOf(`${dst.name}/data set`))[newest]).toBe((await guidsOf(`${src.name}/data set`))[newest]);
  });
});
