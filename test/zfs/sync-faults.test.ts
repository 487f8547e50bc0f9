// The fault matrix's first row, on real ZFS (zfs-fuse): a recursive sync killed with SIGKILL at every named
// phase of its cycle (ZFAILOVER_FAULT, src/sync/phases.ts), then ordinary cycles. The next cycles must recover
// with no human: exit OK, the replica equal to the source by checksum and GUID, the replica never re-created
// (no full resend: the common snapshot survived), no orphan zfs process, no lock or temp file left. And a full
// target pool: CRITICAL with the fix, then recovery once space is freed, with no hold leaked and no pile-up.
import { execa } from 'execa';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PHASES } from '../../src/sync/phases.js';
import { BIN, cliBuilt, runCli } from '../helpers/cli.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames, writeRandom } from '../helpers/replica.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: sync killed at every phase recovers${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let stateDir: string;
  const sync = (s: string, t: string, env: Record<string, string> = {}) => runCli(['--state-dir', stateDir, 'sync', '-r', s, t], { env });
  const zfsProcessesFor = async (pool: string) => (await execa('pgrep', ['-f', `zfs (send|recv|receive) .*${pool}`], { reject: false })).stdout.trim();

  beforeAll(async () => {
    src = await createPool('zfofs');
    dst = await createPool('zfofd');
    stateDir = `${TEST_ROOT}/${uniqueName('state-')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await src?.destroy();
    await dst?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a ZFAILOVER_FAULT naming no phase is a usage error (exit 3, one line), and nothing runs', async () => {
    const r = await runCli(['--state-dir', stateDir, 'sync', `${src.name}`, `${dst.name}/never`], { env: { ZFAILOVER_FAULT: 'no-such-phase' } });
    expect([r.code, r.line]).toEqual([3, expect.stringMatching(/^UNKNOWN: ZFAILOVER_FAULT=no-such-phase: expected PHASE/)]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a full target pool: CRITICAL with the fix, nothing lost, no hold leaked; once space is freed the next cycles recover', async () => {
    const small = await createPool('zfofull', 64);
    try {
      const s = `${src.name}/full`;
      const t = `${small.name}/data`;
      await zfs('create', s);
      const mnt = await mountpointOf(s);
      await writeRandom(`${mnt}/base.bin`, 16);
      expect((await sync(s, t)).code).toBe(0);
      const common = (await snapshotNames(t)).at(-1)!;
      await writeRandom(`${mnt}/too-big.bin`, 80);
      const full = await runCli(['--state-dir', stateDir, '-v', '--log-level', 'warn', 'sync', '-r', s, t]);
      expect([full.code, full.line]).toEqual([2, expect.stringMatching(/^CRITICAL: .*out of space/)]);
      expect(full.stdout).toMatch(/fix: free space/);
      expect(await snapshotNames(s)).toContain(common); // the common snapshot survives the failure
      // The log says how each process of the failed transfer ended.
      const failed = full.stderr
        .split('\n')
        .filter((l) => l.includes('"transfer failed"'))
        .map((l) => JSON.parse(l) as { stages: { stage: string; exitCode: number | null; signal: string | null; stderr: string }[] });
      expect(failed).toHaveLength(1);
      const send = failed[0]!.stages[0]!;
      expect(send.stage).toMatch(/^zfs send /);
      // The failed send ended on its broken pipe, not by our signal: zfs-fuse left no temporary hold behind.
      // Except when zfs-fuse's own `zfs send` crashed ("internal error: Connection reset by peer", SIGABRT; about
      // 1 run in 3 here): the crashed command never releases its temporary holds. That is zfs-fuse's, not ours,
      // and is exactly what the recovery below must survive.
      const sendCrashed = send.signal === 'SIGABRT' && /internal error/.test(send.stderr);
      expect(send.signal === null || send.signal === 'SIGPIPE' || sendCrashed, JSON.stringify(send)).toBe(true);
      if (!sendCrashed)
        for (const snap of await snapshotNames(s)) expect([snap, await zfs('get', '-H', '-o', 'value', 'userrefs', `${s}@${snap}`)]).toEqual([snap, '0']);
      rmSync(`${mnt}/too-big.bin`);
      // The unsent snapshot holding the big file is ours and not common: the next cycle's stream jumps over it
      // (even when a crashed send left it held), and cleanup drops it once nothing holds it.
      const last = await sync(s, t);
      expect(last.code, last.stdout).toBe(0);
      const newest = (await snapshotNames(t)).at(-1)!;
      expect((await guidsOf(t))[newest]).toBe((await guidsOf(s))[newest]);
      expect(await snapshotChecksums(`${t}@${newest}`)).toEqual(await snapshotChecksums(`${s}@${newest}`));
      // No pile-up: only the newest sync snapshot is left, and the big one if a crashed zfs-fuse send still holds it.
      const userrefs = async (n: string) => Number(await zfs('get', '-H', '-o', 'value', 'userrefs', `${s}@${n}`));
      const held: string[] = [];
      for (const n of await snapshotNames(s)) if (sendCrashed && n !== newest && (await userrefs(n)) > 0) held.push(n);
      expect((await snapshotNames(s)).filter((n) => n.startsWith('zfailover-sync_'))).toEqual([...held, newest]);
    } finally {
      await small.destroy();
    }
  });

  for (const phase of SYNC_PHASES) {
    it(`killed at ${phase}: the next cycles recover without a human and without a full resend`, async () => {
      const s = `${src.name}/${phase}`;
      const t = `${dst.name}/${phase}`;
      await zfs('create', s);
      await zfs('create', `${s}/child`);
      const mnt = await mountpointOf(s);
      writeFileSync(`${mnt}/base.txt`, 'base\n');
      expect((await sync(s, t)).code).toBe(0);
      const replicaGuid = await zfs('get', '-H', '-p', '-o', 'value', 'guid', t);
      const childGuid = await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${t}/child`);

      await writeRandom(`${mnt}/more.bin`, 2);
      writeFileSync(`${mnt}/child/c.txt`, `written before the fault at ${phase}\n`);
      const killed = await execa(BIN, ['--state-dir', stateDir, 'sync', '-r', s, t], { reject: false, env: { ZFAILOVER_FAULT: phase } });
      expect(killed.signal, `${phase}: ${killed.stdout}`).toBe('SIGKILL');

      // The first cycle after the fault may find the killed run's pipeline still finishing: at worst a WARNING.
      const next = await sync(s, t);
      expect([0, 1], `${phase}: ${next.stdout}`).toContain(next.code);
      const after = await sync(s, t);
      expect(after.code, `${phase}: ${after.stdout}`).toBe(0);

      for (const rel of ['', '/child']) {
        const newest = (await snapshotNames(`${t}${rel}`)).at(-1)!;
        expect((await guidsOf(`${t}${rel}`))[newest]).toBe((await guidsOf(`${s}${rel}`))[newest]);
        expect(await snapshotChecksums(`${t}${rel}@${newest}`)).toEqual(await snapshotChecksums(`${s}${rel}@${newest}`));
      }
      expect(Object.keys(await snapshotChecksums(`${t}@${(await snapshotNames(t)).at(-1)!}`))).toContain('./more.bin');
      // Never re-created: the same datasets, received into incrementally.
      expect(await zfs('get', '-H', '-p', '-o', 'value', 'guid', t)).toBe(replicaGuid);
      expect(await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${t}/child`)).toBe(childGuid);
      expect(await zfsProcessesFor(src.name)).toBe('');
      expect(readdirSync(`${stateDir}/locks`)).toEqual([]); // every run has ended: no lock, claim or temp file
    });
  }
});
