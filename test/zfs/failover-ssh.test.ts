// Failover on real ZFS: zfs-fuse over ssh to 127.0.0.1 (a private sshd that can be paused), run as an operator
// runs it (the built bin, a config file with hooks). One story, in order: --dry-run changes nothing; a planned
// switchover with a writer running on the primary loses no byte; the replication runs the other way; a takeover
// with the primary's ssh down; the old primary returns and its sync is refused (two primaries: CRITICAL);
// demote keeps its diverged files, readable; a planned switchover back ends with A primary, B replica, and
// replication running again. The primary (A) is the remote side; promote runs where the replica (B) is.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, STATUS_LINE } from '../helpers/cli.js';
import { mountpointOf, snapshotChecksums, snapshotNames } from '../helpers/replica.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { createPool, TEST_ROOT, treeChecksums, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? sshdUnavailableReason() ?? cliBuilt();

const props = async (ds: string): Promise<Record<string, string>> => {
  const out = await zfs('get', '-H', '-o', 'property,value', 'zfailover:role,zfailover:epoch,zfailover:promoted,readonly,canmount,mounted', ds);
  return Object.fromEntries(out.split('\n').map((l) => l.split('\t') as [string, string]));
};

/** Everything a dry run must leave alone: datasets, snapshots with GUIDs, and the properties that matter. */
const fingerprint = async (pool: string): Promise<string> =>
  zfs('get', '-H', '-p', '-r', '-o', 'name,property,value', 'guid,readonly,canmount,mounted,zfailover:role,zfailover:epoch,zfailover:promoted', pool);

describe.skipIf(reason)(`zfs-fuse over ssh: promote, takeover, demote, round trip${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let a: TestPool;
  let b: TestPool;
  let sshd: TestSshd;
  let dir: string;
  let config: string;
  let A: string; // remote primary side spec
  let aData: string;
  let bData: string;
  let writer: ResultPromise | undefined;
  const cli = (...args: string[]) => runCli(['--config', config, '--state-dir', `${dir}/state`, ...args]);

  beforeAll(async () => {
    a = await createPool('zfofoa');
    b = await createPool('zfofob');
    sshd = await startSshd();
    dir = `${TEST_ROOT}/${uniqueName('failover-')}`;
    mkdirSync(dir, { recursive: true });
    aData = `${a.name}/data`;
    bData = `${b.name}/data`;
    A = sshd.side(aData);
    config = `${dir}/zfailover.yml`;
    writeFileSync(
      config,
      [
        'ssh:',
        `  key: ${sshd.keyFile}`,
        '  options:',
        ...sshd.sshOptions.map((o) => `    - ${o}`),
        'jobs:',
        '  data:',
        `    source: ${A}`,
        `    targets: [${bData}]`,
        '    failover:',
        '      max_lag: 10m',
        '      hooks:',
        '        - name: stop-writer',
        '          when: before',
        '          on: primary',
        // Stops the writer and waits until it is gone. While `hook-gate` exists it first says so and waits (at most
        // 50 s) for the test to remove it: the overlap test holds the job exactly as long as it needs, on any machine.
        `          run: [sh, -c, 'if [ -f ${dir}/hook-gate ]; then touch ${dir}/hook-waiting; i=0; while [ -f ${dir}/hook-gate ] && [ $i -lt 500 ]; do sleep 0.1; i=$((i+1)); done; fi; if [ -f ${dir}/writer.pid ]; then p=$(cat ${dir}/writer.pid); kill $p; while kill -0 $p 2>/dev/null; do sleep 0.1; done; fi']`,
        '          modes: [planned]',
        '        - name: start-app',
        '          when: after',
        '          on: replica',
        `          run: [sh, -c, 'echo "$ZFAILOVER_MODE $ZFAILOVER_EPOCH" >> ${dir}/started']`,
        '  data-back:',
        `    source: ${bData}`,
        `    targets: [${A}]`,
        '    failover:',
        '      hooks:',
        '        - name: stop-app-b',
        '          when: before',
        '          on: primary',
        `          run: [touch, ${dir}/stopped-b]`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    // Never destroy a pool under a running writer (zfs-fuse wedges its FUSE sessions when that happens).
    writer?.kill('SIGKILL');
    await writer?.catch(() => undefined);
    await sshd?.stop();
    await a?.destroy();
    await b?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1. sets up: A replicates to B; status shows A primary, B replica in sync', { timeout: 200_000 }, async () => {
    await zfs('create', aData);
    await zfs('create', `${aData}/child`);
    const mnt = await mountpointOf(aData);
    writeFileSync(`${mnt}/base.txt`, 'base\n');
    writeFileSync(`${mnt}/child/c.txt`, 'child\n');
    // One job, recursive in spirit: the child is its own job-less dataset here; the job replicates the root.
    const r = await cli('sync', '--job', 'data');
    expect(r.code, r.stdout).toBe(0);
    const st = await cli('status', '--job', 'data');
    expect(st.code, st.stdout).toBe(0);
    expect(st.line).toMatch(STATUS_LINE);
    expect(st.line).toMatch(new RegExp(`primary ${A.replace(/[.]/g, '\\.')} \\(epoch 0\\); ${bData} in-sync`));
    // Every job (data and its way back data-back list the same pair): one primary, counted once.
    const all = await cli('status');
    expect(all.line, all.stdout).toMatch(/ \| jobs=2 primaries=1$/);
    expect(await props(bData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '0', readonly: 'on' });
  });

  it('2. --dry-run (planned, takeover, demote) prints the steps and changes nothing', async () => {
    const before = [await fingerprint(a.name), await fingerprint(b.name)];
    const planned = await cli('promote', '--job', 'data', '--dry-run');
    expect(planned.code, planned.stdout).toBe(0);
    expect(planned.stdout).toMatch(/^DRY RUN: planned switchover/);
    expect(planned.stdout).toMatch(/before hooks:\n\s+stop-writer on root@127\.0\.0\.1:\d+:\S+: sh -c/);
    expect(planned.stdout).toContain(`zfs set readonly=on ${aData}`);
    expect(planned.stdout).toContain(`zfs set zfailover:role=primary zfailover:epoch=1`);
    expect(planned.stdout).toMatch(/nothing was changed \(dry run\)$/m);
    const takeover = await cli('promote', '--job', 'data', '--takeover', '--dry-run');
    expect(takeover.code, takeover.stdout).toBe(2); // the primary answers: refused even in a dry run
    expect(takeover.line).toMatch(/^CRITICAL: refused: primary .* answers and is primary/);
    const demote = await cli('demote', '--job', 'data-back', '--dry-run');
    expect(demote.code, demote.stdout).toBe(2); // B is a replica: it is not the primary demote needs
    expect(demote.line).toMatch(/source-not-primary|not primary/);
    expect([await fingerprint(a.name), await fingerprint(b.name)]).toEqual(before);
    expect(existsSync(`${dir}/state/promote/promote-data.json`)).toBe(false);
  });

  it('3. planned switchover with a writer running on the primary loses no byte; a second promote meanwhile is refused', async () => {
    const file = `${await mountpointOf(aData)}/writer.log`;
    writer = execa('bash', ['-c', `i=0; while :; do echo "line $i $(date +%s%N)" >> '${file}'; i=$((i+1)); done`], { reject: false });
    writeFileSync(`${dir}/writer.pid`, String(writer.pid));
    // The writer has written (no fixed sleep: wait for its lines).
    for (const bound = Date.now() + 60_000; !(existsSync(file) && readFileSync(file, 'utf8').split('\n').length > 60) && Date.now() < bound;) {
      await new Promise((res) => setTimeout(res, 100));
    }
    let r: Awaited<ReturnType<typeof cli>>;
    let second: Awaited<ReturnType<typeof cli>>;
    writeFileSync(`${dir}/hook-gate`, '');
    try {
      const first = cli('promote', '--job', 'data');
      // While the first holds the job (held in its stop hook by the gate), a second promote is refused by name.
      for (const bound = Date.now() + 60_000; !existsSync(`${dir}/hook-waiting`) && Date.now() < bound;) await new Promise((res) => setTimeout(res, 100));
      expect(existsSync(`${dir}/hook-waiting`), 'the first promote reached its stop hook').toBe(true);
      second = await cli('promote', '--job', 'data');
      rmSync(`${dir}/hook-gate`, { force: true });
      r = await first;
    } finally {
      rmSync(`${dir}/hook-gate`, { force: true });
      writer?.kill('SIGKILL');
    }
    expect(second.code, second.stdout).toBe(2);
    expect(second.line).toMatch(/^CRITICAL: another promote of job data is running/);
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(new RegExp(`^OK: promoted ${bData} to primary \\(epoch 1, planned at @zfailover-sync_data_`));
    await writer;
    // Zero bytes lost: the new primary's file is exactly the old primary's last state.
    const lastA = (await snapshotNames(aData)).at(-1)!;
    const onA = await snapshotChecksums(`${aData}@${lastA}`);
    const bMnt = await mountpointOf(bData);
    expect(readFileSync(`${bMnt}/writer.log`, 'utf8').split('\n').length).toBeGreaterThan(50);
    expect((await treeChecksums(bMnt))['./writer.log']).toBe(onA['./writer.log']);
    expect(await props(bData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '1', readonly: 'off', mounted: 'yes' });
    expect((await props(bData))['zfailover:promoted']).toMatch(new RegExp(`^1,${lastA},\\d+,\\d+$`));
    expect(await props(aData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '1', readonly: 'on', mounted: 'no' });
    expect(readFileSync(`${dir}/started`, 'utf8')).toBe('planned 1\n');
    expect(r.stdout).toMatch(/hook stop-writer on root@127\.0\.0\.1:\d+: ok, exit 0/);
  });

  it('4. replication runs the other way; the old direction is fenced', async () => {
    appendFileSync(`${await mountpointOf(bData)}/on-b.txt`, 'written on B after the switchover\n');
    const back = await cli('sync', '--job', 'data-back');
    expect(back.code, back.stdout).toBe(0);
    const old = await cli('sync', '--job', 'data');
    expect(old.code, old.stdout).toBe(2);
    expect(old.line).toMatch(/target-is-primary/);
  });

  it("5. takeover with the primary's ssh down; the returning old primary is refused", async () => {
    // Round trip first: back to A, planned (B is the primary now, A its replica).
    const home = await cli('promote', '--job', 'data-back');
    expect(home.code, home.stdout).toBe(0);
    expect(existsSync(`${dir}/stopped-b`)).toBe(true);
    expect(await props(aData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '2', mounted: 'yes' });
    expect(await props(bData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '2' });
    const aMnt = await mountpointOf(aData);
    expect(readFileSync(`${aMnt}/on-b.txt`, 'utf8')).toBe('written on B after the switchover\n');
    writeFileSync(`${aMnt}/before-outage.txt`, 'replicated before the outage\n');
    let r = await cli('sync', '--job', 'data');
    expect(r.code, r.stdout).toBe(0);

    // A keeps writing, but these never reach B: then A's ssh goes away.
    writeFileSync(`${aMnt}/diverged.txt`, 'written on A after the last sync\n');
    await sshd.pause();
    try {
      const noForce = await cli('promote', '--job', 'data', '--takeover');
      expect(noForce.code).toBe(3);
      const planned = await cli('promote', '--job', 'data');
      expect(planned.code).toBe(2);
      expect(planned.line).toMatch(/primary unreachable .*: a planned switchover needs it/);
      r = await cli('promote', '--job', 'data', '--takeover', '--force');
      expect(r.code, r.stdout).toBe(0);
      expect(r.line).toMatch(
        new RegExp(
          `^OK: promoted ${bData} to primary \\(epoch 3, takeover at @[^)]*\\); old primary root@127\\.0\\.0\\.1:\\d+ unreachable: connection refused `,
        ),
      );
      // During the outage status names the side it cannot see first (Monit/Nagios keep only this line).
      const st = await cli('status', '--job', 'data');
      expect(st.code, st.stdout).toBe(3);
      expect(st.line).toMatch(
        new RegExp(`^UNKNOWN: job data: root@127\\.0\\.0\\.1:\\d+:\\S+ unreachable \\(connection refused\\); primary ${bData} \\(epoch 3\\)`),
      );
      expect(r.stdout).toMatch(/note: writes on the old primary after @.* are not here; zfailover demote keeps them/);
      const bMnt = await mountpointOf(bData);
      expect(readFileSync(`${bMnt}/before-outage.txt`, 'utf8')).toBe('replicated before the outage\n');
      expect(existsSync(`${bMnt}/diverged.txt`)).toBe(false);
      writeFileSync(`${bMnt}/after-takeover.txt`, 'written on B after the takeover\n');
      expect(await props(bData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '3', readonly: 'off', mounted: 'yes' });
    } finally {
      await sshd.resume();
    }
    // A is back and still believes it is primary: its sync into B is refused, status sees two primaries.
    const before = await snapshotNames(bData);
    r = await cli('sync', '--job', 'data');
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(/target-is-primary/);
    expect(await snapshotNames(bData)).toEqual(before);
    const st = await cli('status', '--job', 'data');
    expect(st.code, st.stdout).toBe(2);
    expect(st.line).toMatch(/^CRITICAL: job data: 2 primaries/);
    expect(st.stdout).toMatch(/two primaries: .* \(epoch 2\) and .* \(epoch 3\)/);
    expect((await cli('status')).line).toMatch(/ \| jobs=2 primaries=2$/);
    // Nor can the reverse job write into A while A says primary.
    r = await cli('sync', '--job', 'data-back');
    expect(r.code, r.stdout).toBe(2);
  });

  it("6. demote keeps the old primary's diverged files readable, then replicates into it", async () => {
    const dry = await cli('demote', '--job', 'data-back', '--dry-run');
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/its writes after the common snapshot are kept in .*data\.zfailover-diverged-e3-/);
    const r = await cli('demote', '--job', 'data-back');
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(new RegExp(`^OK: ${aData} is a replica of ${bData} \\(epoch 3\\), its diverged writes kept in ${aData}\\.zfailover-diverged-e3-`));
    const aside = (await zfs('list', '-H', '-o', 'name', '-r', a.name)).split('\n').find((n) => n.includes('.zfailover-diverged-e3-'))!;
    const asideMnt = await mountpointOf(aside);
    expect(readFileSync(`${asideMnt}/diverged.txt`, 'utf8')).toBe('written on A after the last sync\n');
    expect((await zfs('get', '-H', '-o', 'value', 'zfailover:diverged', aside)).split(',')[0]).toBe('3');
    expect(await props(aData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '3', readonly: 'on' });
    // A now has B's data (the first sync ran): checked on its newest snapshot.
    const newest = (await snapshotNames(aData)).at(-1)!;
    const onA = await snapshotChecksums(`${aData}@${newest}`);
    expect(Object.keys(onA)).toContain('./after-takeover.txt');
    expect(Object.keys(onA)).not.toContain('./diverged.txt');
    // Re-running demote is harmless: nothing more to keep, nothing changed.
    const again = await cli('demote', '--job', 'data-back');
    expect(again.code, again.stdout).toBe(0);
    expect(again.line).not.toMatch(/diverged writes kept/);
    expect((await zfs('list', '-H', '-o', 'name', '-r', a.name)).split('\n').filter((n) => /\.zfailover-diverged-e\d+-[^/]+$/.test(n)).length).toBe(1);
  });

  it('7. the round trip ends with A primary, B replica, replication running again', async () => {
    writeFileSync(`${await mountpointOf(bData)}/last-on-b.txt`, 'last write on B\n');
    const r = await cli('promote', '--job', 'data-back');
    expect(r.code, r.stdout).toBe(0);
    expect(await props(aData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '4', readonly: 'off', mounted: 'yes' });
    expect(await props(bData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '4', readonly: 'on', mounted: 'no' });
    // B was promoted in epochs 1 and 3: as a replica again it carries no promotion point (status would show it).
    expect((await props(bData))['zfailover:promoted']).toBe('-');
    expect((await props(aData))['zfailover:promoted']).toMatch(/^4,/);
    const aMnt = await mountpointOf(aData);
    expect(readFileSync(`${aMnt}/last-on-b.txt`, 'utf8')).toBe('last write on B\n');
    for (let i = 0; i < 2; i++) {
      appendFileSync(`${aMnt}/after-round-trip.txt`, `cycle ${i}\n`);
      const s = await cli('sync', '--job', 'data');
      expect(s.code, s.stdout).toBe(0);
    }
    const newest = (await snapshotNames(bData)).at(-1)!;
    expect(await snapshotChecksums(`${bData}@${newest}`)).toEqual(await snapshotChecksums(`${aData}@${newest}`));
    const st = await cli('status', '--job', 'data');
    expect(st.code, `${st.stdout}\n${st.stderr}`).toBe(0);
    expect(st.line).toMatch(new RegExp(`primary .*${aData} \\(epoch 4\\); ${bData} in-sync`));
    expect(st.stdout).not.toMatch(new RegExp(`${bData} .*promoted`));
  });
});
