// Execute what we print (issue 13): each conflict is provoked on real ZFS (zfs-fuse) with dataset names containing
// blanks; the fix: line is taken from the real output (status long output, --json, check divergence), run as is
// with `sh -c`, and the next sync must be OK with the replica equal to the source (checksums through a clone, GUIDs)
// and whatever the fix promised to keep still there and readable. docs/design.md "Printed fixes" lists these rows.
import { execa } from 'execa';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli, STATUS_LINE } from '../helpers/cli.js';
import { fixOf, NAGIOS_ILLEGAL, paste } from '../helpers/printed.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames } from '../helpers/replica.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

// Each case runs several syncs and a demote on a machine shared with other work: a generous per-test timeout.
describe.skipIf(reason)(`zfs-fuse: every printed fix runs when pasted${reason ? ` (skipped: ${reason})` : ''}`, { timeout: 300_000 }, () => {
  let src: TestPool;
  let dst: TestPool;
  let stateDir: string;
  const cli = (...args: string[]) => runCli(['--state-dir', stateDir, ...args]);
  const sync = (...args: string[]) => cli('sync', ...args);

  /** The replica's own readonly value: zfs-fuse shows a mounted dataset's mount option (`temporary`) instead. */
  const readonlyValue = async (ds: string) => {
    await execa('/usr/sbin/zfs', ['umount', ds], { reject: false });
    return zfs('get', '-H', '-o', 'value', 'readonly', ds);
  };
  const write = async (ds: string, file: string, text: string) => writeFileSync(`${await mountpointOf(ds)}/${file}`, text);
  const expectEqual = async (source: string, target: string) => {
    const newest = (await snapshotNames(target)).at(-1)!;
    expect((await snapshotNames(source)).at(-1)).toBe(newest);
    expect(await snapshotChecksums(`${target}@${newest}`)).toEqual(await snapshotChecksums(`${source}@${newest}`));
    expect((await guidsOf(target))[newest]).toBe((await guidsOf(source))[newest]);
  };
  const okSync = async (...args: string[]) => {
    const r = await sync(...args);
    expect(r.code, r.stdout).toBe(0);
    return r;
  };
  /** The conflicting run: CRITICAL, first line names the conflict and carries no Nagios-stripped character. */
  const conflicted = async (name: string, ...args: string[]) => {
    const r = await sync(...args);
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(STATUS_LINE);
    expect(r.stdout).toContain(name);
    expect(r.line.split(' | ')[0]).not.toMatch(NAGIOS_ILLEGAL);
    return r;
  };

  beforeAll(async () => {
    src = await createPool('zfofixs');
    dst = await createPool('zfofixd');
    stateDir = `${TEST_ROOT}/${uniqueName('state fix ')}`;
    mkdirSync(stateDir, { recursive: true });
  });
  afterAll(async () => {
    await src?.destroy();
    await dst?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('no-common-snapshot: the printed demote keeps the old target aside (readable) and sends the source in full', async () => {
    const s = `${src.name}/nc foo bar`;
    const t = `${dst.name}/nc foo bar copy`;
    await zfs('create', s);
    await write(s, 'a.txt', 'source\n');
    await zfs('create', t);
    await write(t, 'mine.txt', 'kept\n');
    await zfs('snapshot', `${t}@unrelated`);
    const r = await conflicted('no-common-snapshot', s, t);
    const fix = fixOf(r);
    expect(fix).toContain(`--state-dir '${stateDir}'`);
    expect(fix).toContain(' demote ');
    // The demote runs the first sync itself: the replica equals the source right after the paste.
    const pasted = await paste(fix);
    expect(pasted.line).toMatch(/^OK: .* is a replica of /);
    await expectEqual(s, t);
    await okSync(s, t);
    const aside = (await zfs('list', '-H', '-o', 'name', '-r', dst.name)).split('\n').find((n) => n.startsWith(`${t}.zfailover-diverged-`));
    expect(aside, 'the renamed old target').toBeDefined();
    expect(await snapshotChecksums(`${aside}@unrelated`)).toHaveProperty(['./mine.txt']);
  });

  it('diverged: the printed demote keeps the replica history aside (readable) and the next sync is OK', async () => {
    const s = `${src.name}/dv foo bar`;
    const t = `${dst.name}/dv foo bar copy`;
    await zfs('create', s);
    await write(s, 'a.txt', 'one\n');
    await okSync(s, t);
    await zfs('set', 'readonly=off', t);
    await zfs('set', 'canmount=on', t);
    await zfs('mount', t).catch(() => undefined);
    await write(t, 'only-on-replica.txt', 'keep me\n');
    await zfs('snapshot', `${t}@replica only`);
    await write(s, 'b.txt', 'two\n');
    const r = await conflicted('diverged', s, t);
    // --json and check divergence carry the very same fix.
    const fix = fixOf(r);
    const json = JSON.parse((await cli('--json', 'sync', s, t)).stdout);
    expect(JSON.stringify(json)).toContain(JSON.stringify(fix).slice(1, -1));
    const check = await cli('check', 'divergence', s, t);
    expect(check.code).toBe(2);
    expect(fixOf(check)).toBe(fix);
    await paste(fix);
    await okSync(s, t);
    await expectEqual(s, t);
    const aside = (await zfs('list', '-H', '-o', 'name', '-r', dst.name)).split('\n').find((n) => n.startsWith(`${t}.zfailover-diverged-`));
    expect(aside, 'the renamed replica history').toBeDefined();
    expect(await snapshotChecksums(`${aside}@replica only`)).toHaveProperty(['./only-on-replica.txt']);
    expect(await readonlyValue(t)).toBe('on');
  });

  it('snapshot-name-reused: named by the planner, the fix keeps the stale snapshot renamed, the next sync is OK', async () => {
    const s = `${src.name}/dup foo`;
    const t = `${dst.name}/dup foo copy`;
    await zfs('create', s);
    await write(s, 'a.txt', 'old\n');
    await zfs('snapshot', `${s}@duplicate`);
    await okSync(s, t);
    const oldGuid = (await guidsOf(t)).duplicate!;
    await zfs('destroy', `${s}@duplicate`);
    await write(s, 'a.txt', 'new\n');
    await zfs('snapshot', `${s}@duplicate`);
    const r = await conflicted('snapshot-name-reused', s, t);
    expect(r.stdout).not.toContain('destination already exists');
    await paste(fixOf(r));
    await okSync(s, t);
    await expectEqual(s, t);
    expect((await guidsOf(t)).duplicate).toBe((await guidsOf(s)).duplicate);
    const kept = `duplicate.stale-${oldGuid}`;
    expect((await guidsOf(t))[kept]).toBe(oldGuid);
    expect(Object.keys(await snapshotChecksums(`${t}@${kept}`))).toContain('./a.txt');
  });

  it('target-newer with --no-sync-snap: the fix repeats the flag and keeps the newer snapshots aside', async () => {
    const s = `${src.name}/tn foo`;
    const t = `${dst.name}/tn foo copy`;
    await zfs('create', s);
    await write(s, 'a.txt', 'a\n');
    await zfs('snapshot', `${s}@s1`);
    await okSync('--no-sync-snap', s, t);
    await zfs('set', 'readonly=off', t);
    await zfs('snapshot', `${t}@newer on replica`);
    const r = await conflicted('target-newer', '--no-sync-snap', s, t);
    const fix = fixOf(r);
    expect(fix).toContain('--no-sync-snap');
    await paste(fix);
    await zfs('snapshot', `${s}@s2`);
    await okSync('--no-sync-snap', s, t);
    await expectEqual(s, t);
    const aside = (await zfs('list', '-H', '-o', 'name', '-r', dst.name)).split('\n').find((n) => n.startsWith(`${t}.zfailover-diverged-`));
    expect((await snapshotNames(aside!)).some((n) => n === 'newer on replica')).toBe(true);
  });

  it('target-modified (found by zfs recv on zfs-fuse): the rollback fix runs and leaves the replica readonly=on', async () => {
    const s = `${src.name}/tm foo`;
    const t = `${dst.name}/tm foo copy`;
    await zfs('create', s);
    await write(s, 'a.txt', 'a\n');
    await okSync(s, t);
    await zfs('set', 'readonly=off', t);
    await zfs('set', 'canmount=on', t);
    await zfs('mount', t).catch(() => undefined);
    await write(t, 'stray.txt', 'x\n');
    await write(s, 'b.txt', 'b\n');
    const r = await sync(s, t);
    expect(r.code, r.stdout).toBeGreaterThan(0);
    const fix = fixOf(r);
    expect(fix).toContain('--rollback-target');
    await paste(fix);
    await okSync(s, t);
    await expectEqual(s, t);
    expect(await readonlyValue(t)).toBe('on');
  });

  it('a side name is used exactly as given: trailing blanks are another dataset, never a look-alike', async () => {
    const s = `${src.name}/ foo  zoo`;
    await zfs('create', s);
    await zfs('snapshot', `${s}@a`);
    const r = await sync(`${s}  `, `${dst.name}/ foo  zoo  `);
    expect(r.code, r.stdout).toBeGreaterThan(0);
    expect(r.line).toMatch(STATUS_LINE);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('OK'))).toEqual([]);
    expect((await zfs('list', '-H', '-o', 'name', '-r', dst.name)).split('\n')).not.toContain(`${dst.name}/ foo  zoo`);
  });
});
