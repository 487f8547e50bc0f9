// Issue 12 item 4 on real ZFS (zfs-fuse): two installations (two configs, two state dirs, as two standbys
// pulling one primary) replicate one source under the same job name, alternately, for several cycles. Each
// stays incremental (never a full resend) and keeps its common snapshot; neither destroys the other's names,
// and neither target piles up the other's sync snapshots. Then the upgrade path: pre-identity names written by
// an older release are taken as the common base (no full resend) and retired, their hold released.
import { execa } from 'execa';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { guidsOf, mountpointOf, snapshotNames, writeRandom } from '../helpers/replica.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

interface Step {
  kind: string;
  from: string | null;
}
interface Report {
  report: { targets: { state: string; datasets: { steps: Step[]; common: { name: string } | null }[] }[] };
}

describe.skipIf(reason)(`zfs-fuse: two installations, one source, one job name${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dstA: TestPool;
  let dstB: TestPool;
  let dir: string;
  const S = () => `${src.name}/data set`;

  /** One installation: its own state dir and config, the same job name `data`. */
  const installation = (
    name: string,
    target: string,
    o: { job?: string; source?: string; extra?: string } = {},
  ): (() => Promise<Report & { code: number; stdout: string }>) => {
    const state = `${dir}/${name}/state`;
    const job = o.job ?? 'data';
    mkdirSync(state, { recursive: true, mode: 0o700 });
    const config = `${dir}/${name}/zfailover.yml`;
    writeFileSync(
      config,
      `version: 1\nstate_dir: ${state}\n${o.extra ?? ''}jobs:\n  ${job}:\n    source: "${o.source ?? S()}"\n    targets: [{ dataset: "${target}", name: standby }]\n`,
      { mode: 0o600 },
    );
    return async () => {
      const r = await runCli(['--config', config, 'sync', '--json', '--job', job]);
      return { ...(JSON.parse(r.stdout) as Report), code: r.code, stdout: r.stdout };
    };
  };
  const syncNames = async (ds: string) => (await snapshotNames(ds)).filter((n) => n.startsWith('zfailover-sync_'));

  beforeAll(async () => {
    src = await createPool('zfo2is');
    dstA = await createPool('zfo2ia');
    dstB = await createPool('zfo2ib');
    dir = `${TEST_ROOT}/${uniqueName('two-inst-')}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  });
  afterAll(async () => {
    await src?.destroy();
    await dstA?.destroy();
    await dstB?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both stay incremental for several alternating cycles, each keeping its common snapshot', async () => {
    await zfs('create', S());
    const mnt = await mountpointOf(S());
    const a = installation('a', `${dstA.name}/data set`);
    const b = installation('b', `${dstB.name}/data set`);
    await writeRandom(`${mnt}/0.bin`, 1);

    for (const [who, run] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const r = await run();
      expect(r.code, `${who}: ${r.stdout}`).toBe(0);
      expect(r.report.targets[0]!.datasets[0]!.steps[0]!.kind).toBe('full');
    }
    const idA = readFileSync(`${dir}/a/state/installation`, 'utf8').trim();
    const idB = readFileSync(`${dir}/b/state/installation`, 'utf8').trim();
    expect(idA).not.toBe(idB);

    for (let cycle = 1; cycle <= 4; cycle++) {
      for (const [who, run, id, target] of [
        ['a', a, idA, `${dstA.name}/data set`],
        ['b', b, idB, `${dstB.name}/data set`],
      ] as const) {
        await writeRandom(`${mnt}/${who}${cycle}.bin`, 1);
        const r = await run();
        expect(r.code, `${who} cycle ${cycle}: ${r.stdout}`).toBe(0);
        const ds = r.report.targets[0]!.datasets[0]!;
        // Incremental from this installation's own previous snapshot: never a full resend.
        expect(
          ds.steps.map((s) => s.kind),
          `${who} cycle ${cycle}`,
        ).toEqual(['incremental']);
        expect(ds.steps[0]!.from).toContain(`zfailover-sync_data_${id}_`);
        expect(ds.common!.name).toMatch(new RegExp(`^zfailover-sync_data_${id}_`));
        // The target's newest snapshot is the source's, by GUID.
        const newest = (await syncNames(target)).filter((n) => n.includes(`_${id}_`)).at(-1)!;
        expect((await guidsOf(target))[newest]).toBe((await guidsOf(S()))[newest]);
      }
      // The source keeps exactly each installation's newest (each one's common), nothing piles up.
      const onSource = await syncNames(S());
      expect(
        onSource.filter((n) => n.includes(`_${idA}_`)),
        onSource.join(' '),
      ).toHaveLength(1);
      expect(
        onSource.filter((n) => n.includes(`_${idB}_`)),
        onSource.join(' '),
      ).toHaveLength(1);
    }
    // Each target: its own common snapshot, and at most the other's newest (carried by -I), never a pile.
    for (const target of [`${dstA.name}/data set`, `${dstB.name}/data set`]) {
      const names = await syncNames(target);
      expect(names.length, names.join(' ')).toBeLessThanOrEqual(2);
    }
    // The cursor of each lives in its own hold (zfs-fuse: userrefs): its common snapshot is held once.
    for (const [target, id] of [
      [`${dstA.name}/data set`, idA],
      [`${dstB.name}/data set`, idB],
    ] as const) {
      const common = (await syncNames(target)).filter((n) => n.includes(`_${id}_`)).at(-1)!;
      expect(await zfs('get', '-H', '-p', '-o', 'value', 'userrefs', `${target}@${common}`)).toBe('1');
    }
  });

  it('upgrade: pre-identity names are the common base (no full resend) and are retired, their hold released', async () => {
    const ds = `${src.name}/old data`;
    const target = `${dstA.name}/old data`;
    await zfs('create', ds);
    await writeRandom(`${await mountpointOf(ds)}/x.bin`, 1);
    // What a release before identities left: its sync snapshot on both sides, its hold on the target's copy.
    const legacy = 'zfailover-sync_old_20261101T000000.000Z';
    await zfs('snapshot', `${ds}@${legacy}`);
    await execa('sh', ['-c', 'zfs send "$1" | zfs receive -u "$2"', 'sh', `${ds}@${legacy}`, target]);
    await zfs('hold', 'zfailover_old_standby', `${target}@${legacy}`);
    await zfs('set', 'zfailover:role=primary', ds);
    await zfs('set', 'zfailover:role=replica', target);

    // Upgraded, with the identity pinned in the config (what an operator does to keep names across a rebuild).
    const runOld = installation('upgraded', target, { job: 'old', source: ds, extra: 'identity: standby-east\n' });
    await writeRandom(`${await mountpointOf(ds)}/y.bin`, 1);
    const first = await runOld();
    expect(first.code, first.stdout).toBe(0);
    const steps = first.report.targets[0]!.datasets[0]!.steps;
    expect(steps.map((s) => s.kind)).toEqual(['incremental']);
    expect(steps[0]!.from).toContain(legacy);
    const now = (await syncNames(target)).at(-1)!;
    expect(now).toMatch(/^zfailover-sync_old_standby-east_/);

    // The legacy snapshot left the source at once (superseded, not the common one any more); on the target it
    // goes once its old hold is gone (zfs-fuse cannot list tags, so that release is counted a cycle later).
    expect(await syncNames(ds)).toEqual([now]);
    await writeRandom(`${await mountpointOf(ds)}/z.bin`, 1);
    const second = await runOld();
    expect(second.code, second.stdout).toBe(0);
    expect(second.report.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['incremental']);
    const after = await syncNames(target);
    expect(
      after.some((n) => n === legacy),
      after.join(' '),
    ).toBe(false);
    expect(
      after.every((n) => n.startsWith('zfailover-sync_old_standby-east_')),
      after.join(' '),
    ).toBe(true);
    expect(await syncNames(ds)).toEqual([after.at(-1)]);
  });
});
