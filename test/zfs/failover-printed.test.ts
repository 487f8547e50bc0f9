// Execute what we print, for failover (issues 13 and 19): every command line a promote/demote/status refusal or a
// fencing conflict prints is taken from the real output and run with `sh -c` exactly as printed; the test then
// proves what the line promised (the refused operation succeeds, or the roles change as the text says). zfs-fuse,
// the primary remote over a private sshd, dataset names with blanks. One story, in order, like an operator's:
// lag refusal -> sync && promote; takeover while the primary answers -> planned promote; planned promote during
// an outage -> takeover -> unknown replica writes -> snapshot them && takeover; the returning old primary ->
// demote (from sync's target-is-primary, demote's swapped sides and status's two primaries); then ad-hoc cases
// (no-common-snapshot demote, no-source-snapshots, target-epoch-higher in sync, promote and demote).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, STATUS_LINE, type CliResult } from '../helpers/cli.js';
import { fixesOf, fixOf, NAGIOS_ILLEGAL, paste } from '../helpers/printed.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames } from '../helpers/replica.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? sshdUnavailableReason() ?? cliBuilt();

const props = async (ds: string): Promise<Record<string, string>> => {
  const out = await zfs('get', '-H', '-o', 'property,value', 'zfailover:role,zfailover:epoch,readonly', ds);
  return Object.fromEntries(out.split('\n').map((l) => l.split('\t') as [string, string]));
};

describe.skipIf(reason)(
  `zfs-fuse over ssh: every failover refusal prints a line that works when pasted${reason ? ` (skipped: ${reason})` : ''}`,
  { timeout: 300_000 },
  () => {
    let a: TestPool;
    let b: TestPool;
    let sshd: TestSshd;
    let dir: string;
    let config: string;
    let stateDir: string;
    let aData: string; // the first primary, reached over ssh
    let bData: string; // its replica, local
    const cli = (...args: string[]) => runCli(['--config', config, '--state-dir', stateDir, ...args]);
    const adhoc = (...args: string[]) => runCli(['--state-dir', stateDir, ...args]);
    /** A refusal: CRITICAL, a status line without Nagios-stripped characters, and its fix: line(s). */
    const refused = (r: CliResult, why: RegExp): string => {
      expect(r.code, r.stdout).toBe(2);
      expect(r.line).toMatch(STATUS_LINE);
      expect(r.line).toMatch(why);
      expect(r.line.split(' | ')[0]).not.toMatch(NAGIOS_ILLEGAL);
      return fixOf(r);
    };
    const write = async (ds: string, file: string, text: string) => writeFileSync(`${await mountpointOf(ds)}/${file}`, text);

    beforeAll(async () => {
      a = await createPool('zfofpa');
      b = await createPool('zfofpb');
      sshd = await startSshd();
      dir = `${TEST_ROOT}/${uniqueName('failover printed ')}`;
      mkdirSync(dir, { recursive: true });
      stateDir = `${dir}/state dir`;
      aData = `${a.name}/da ta`;
      bData = `${b.name}/da ta copy`;
      config = `${dir}/zfailover.yml`;
      const A = JSON.stringify(sshd.side(aData));
      const B = JSON.stringify(bData);
      writeFileSync(
        config,
        [
          'ssh:',
          `  key: ${JSON.stringify(sshd.keyFile)}`,
          '  options:',
          ...sshd.sshOptions.map((o) => `    - ${JSON.stringify(o)}`),
          'jobs:',
          '  data:',
          `    source: ${A}`,
          `    targets: [${B}]`,
          '    failover:',
          '      max_lag: 10m',
          '  data-back:',
          `    source: ${B}`,
          `    targets: [${A}]`,
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await sshd?.stop();
      await a?.destroy();
      await b?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('1. lag above --max-lag: the printed `sync && promote` catches up and promotes', async () => {
      await zfs('create', aData);
      await write(aData, 'base.txt', 'base\n');
      const first = await cli('sync', '--job', 'data');
      expect(first.code, first.stdout).toBe(0);
      // The precondition, not a sleep: the replica's newest snapshot is at least 2 s old (lag 2 s > --max-lag 1s).
      const newest = (await snapshotNames(bData)).at(-1)!;
      const created = Number(await zfs('get', '-H', '-p', '-o', 'value', 'creation', `${bData}@${newest}`));
      while (Date.now() / 1000 < created + 2.2) await new Promise((res) => setTimeout(res, 200));
      // Something to send: the lag counts from the common snapshot when the primary has a newer one.
      await write(aData, 'later.txt', 'later\n');
      await zfs('snapshot', `${aData}@later`);
      const fix = refused(await cli('promote', '--job', 'data', '--max-lag', '1s'), /behind \(max_lag 1s\)/);
      expect(fix).toMatch(/ sync --job data && zfailover .* promote --job data {2}# /);
      await paste(fix);
      expect(await props(bData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '1', readonly: 'off' });
      expect(await props(aData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '1', readonly: 'on' });
    });

    it('2. takeover while the primary answers: the printed planned promote switches over', async () => {
      const fix = refused(await cli('promote', '--job', 'data-back', '--takeover', '--force'), /answers and is primary/);
      expect(fix).not.toContain('--takeover');
      await paste(fix);
      expect(await props(aData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '2', readonly: 'off' });
      expect(await props(bData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '2', readonly: 'on' });
    });

    it('3. outage: planned promote -> printed takeover -> unknown replica writes -> printed snapshot && takeover', async () => {
      const sync = await cli('sync', '--job', 'data');
      expect(sync.code, sync.stdout).toBe(0);
      // Someone made the replica writable and wrote into it (zfs-fuse cannot tell: no `written`).
      await zfs('set', 'readonly=off', bData);
      await zfs('set', 'canmount=on', bData);
      await zfs('mount', bData).catch(() => undefined);
      expect(await zfs('get', '-H', '-o', 'value', 'mounted', bData)).toBe('yes');
      await write(bData, 'on-replica.txt', 'written on the replica\n');
      await write(aData, 'diverged.txt', 'written on A, never replicated\n');
      await sshd.pause();
      try {
        const takeover = refused(await cli('promote', '--job', 'data'), /primary unreachable .*: a planned switchover needs it/);
        expect(takeover).toMatch(/ promote --job data --takeover --force {2}# /);
        // The printed takeover runs, and refuses for the next reason with its own line.
        const second = await paste(takeover, 2);
        const keep = refused(second, /writable and this host cannot tell/);
        expect(keep).toContain(`zfs set readonly=on '${bData}' && zfs snapshot '${bData}@keep' && zfs unmount '${bData}' && `);
        expect(keep).toMatch(/ promote --job data --takeover --force {2}# /);
        await paste(keep);
      } finally {
        await sshd.resume();
      }
      expect(await props(bData)).toMatchObject({ 'zfailover:role': 'primary', 'zfailover:epoch': '3', readonly: 'off' });
      const kept = await snapshotChecksums(`${bData}@keep`);
      expect(Object.keys(kept), JSON.stringify(kept)).toContain('./on-replica.txt');
      expect(readFileSync(`${await mountpointOf(bData)}/on-replica.txt`, 'utf8')).toBe('written on the replica\n');
    });

    it('4. the returning old primary: sync, demote (sides swapped) and status print the same demote; it works', async () => {
      const before = await snapshotNames(bData);
      const fromSync = refused(await cli('sync', '--job', 'data'), /target-is-primary/);
      expect(await snapshotNames(bData)).toEqual(before);
      expect(fromSync).toMatch(/ demote --job data-back {2}# /);
      const fromDemote = refused(await cli('demote', '--job', 'data'), /primary with epoch 3, not older/);
      const st = await cli('status', '--job', 'data');
      expect(st.code, st.stdout).toBe(2);
      expect(st.line).toMatch(/^CRITICAL: job data: 2 primaries/);
      const fromStatus = fixOf(st);
      const command = (l: string) => l.split('  # ')[0];
      expect(command(fromDemote)).toBe(command(fromSync));
      expect(command(fromStatus)).toBe(command(fromSync));
      const r = await paste(fromSync);
      expect(r.line).toMatch(/^OK: .* is a replica of .* \(epoch 3\), its diverged writes kept in /);
      expect(await props(aData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '3', readonly: 'on' });
      const aside = (await zfs('list', '-H', '-o', 'name', '-r', a.name)).split('\n').find((n) => n.startsWith(`${aData}.zfailover-diverged-e3-`))!;
      expect(readFileSync(`${await mountpointOf(aside)}/diverged.txt`, 'utf8')).toBe('written on A, never replicated\n');
      const back = await cli('sync', '--job', 'data-back');
      expect(back.code, back.stdout).toBe(0);
      // Demote with the sides swapped now (A is the replica): the printed demote the right way round is harmless.
      const swapped = refused(await cli('demote', '--job', 'data'), /is not primary/);
      expect(command(swapped)).toBe(command(fromSync));
      await paste(swapped);
      expect(await props(aData)).toMatchObject({ 'zfailover:role': 'replica', 'zfailover:epoch': '3' });
      const st2 = await cli('status', '--job', 'data');
      expect(st2.code, st2.stdout).toBe(0);
    });

    it('5. ad hoc over ssh: sync onto an unrelated dataset prints the demote with every ssh flag; it keeps it aside and sends in full', async () => {
      const c = `${a.name}/c d`;
      const d = `${b.name}/c d copy`;
      await zfs('create', c);
      await write(c, 'c.txt', 'from the primary\n');
      await zfs('snapshot', `${c}@first`);
      await zfs('create', d);
      await write(d, 'own.txt', 'kept\n');
      await zfs('snapshot', `${d}@unrelated`);
      const fix = refused(await adhoc('sync', '--no-sync-snap', ...sshd.cliArgs, sshd.side(c), d), /no-common-snapshot|shares no snapshot|none in common/);
      expect(fix).toMatch(new RegExp(`^zfailover --state-dir '${stateDir}' demote .*--ssh-key `));
      const r = await paste(fix);
      expect(r.stdout).toContain('shared no snapshot');
      const aside = (await zfs('list', '-H', '-o', 'name', '-r', b.name)).split('\n').find((n) => n.startsWith(`${d}.zfailover-diverged-`))!;
      expect(await snapshotChecksums(`${aside}@unrelated`)).toHaveProperty(['./own.txt']);
      expect((await guidsOf(d)).first).toBe((await guidsOf(c)).first);
      expect(await snapshotChecksums(`${d}@first`)).toEqual(await snapshotChecksums(`${c}@first`));
    });

    it('6. ad hoc over ssh: no-source-snapshots prints ssh ... zfs snapshot && sync --no-sync-snap; it works', async () => {
      const e = `${a.name}/e f`;
      const f = `${b.name}/e f copy`;
      await zfs('create', e);
      await write(e, 'e.txt', 'first\n');
      const r = await adhoc('sync', '--no-sync-snap', ...sshd.cliArgs, sshd.side(e), f);
      const fix = refused(r, /no-source-snapshots|has no snapshots/);
      expect(fix).toMatch(/^ssh -p \d+ -i /);
      expect(fix).toMatch(/ sync .*--no-sync-snap /);
      await paste(fix);
      expect((await guidsOf(f)).initial).toBe((await guidsOf(e)).initial);
      expect(await snapshotChecksums(`${f}@initial`)).toHaveProperty(['./e.txt']);
    });

    it("7. target-epoch-higher (sync, promote, demote) prints status, which names each side's role and epoch", async () => {
      const p = `${b.name}/p q`;
      const q = `${a.name}/p q copy`;
      await zfs('create', p);
      await zfs('snapshot', `${p}@s1`);
      const first = await adhoc('sync', p, q);
      expect(first.code, first.stdout).toBe(0);
      // What a takeover and a switchover elsewhere leave: the replica carries a later epoch than this primary.
      await zfs('set', 'zfailover:epoch=4', q);
      const lines = [
        refused(await adhoc('sync', p, q), /target-epoch-higher/),
        refused(await adhoc('promote', p, q), /epoch 4, above the primary.?s 0/),
        refused(await adhoc('demote', p, q), /replica of epoch 4, above/),
      ].map((l) => l.split('  # ')[0]);
      expect(new Set(lines).size, lines.join('\n')).toBe(1);
      expect(lines[0]).toBe(`zfailover --state-dir '${stateDir}' status '${p}' '${q}'`);
      // Status itself says WARNING (replication into the replica is blocked): that is its answer, not a failure.
      const st = await paste(lines[0]!, 1);
      expect(st.line).toMatch(STATUS_LINE);
      expect(st.stdout).toMatch(new RegExp(`${p}\\s+primary\\s+epoch 0 `));
      expect(st.stdout).toMatch(new RegExp(`${q}\\s+replica\\s+epoch 4 `));
      expect(fixesOf(await adhoc('sync', p, q))[0]).toContain('epoch 4');
      // Status's own fix line for the blocked replica: check divergence, which names the conflict and prints its fix.
      const check = fixOf(st).split('  # ')[0]!;
      expect(check).toBe(`zfailover --state-dir '${stateDir}' check divergence '${p}' '${q}'`);
      const div = await paste(check, 2);
      expect(div.line).toMatch(/target-epoch-higher/);
      expect(fixOf(div).split('  # ')[0]).toBe(lines[0]);
    });
  },
);
