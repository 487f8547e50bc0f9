// zvols (VM disks) against real OpenZFS 2.3 in the qemu guest (zfs-fuse has none): a single zvol and zvols
// inside a `-r` tree replicate full and incrementally (block devices equal by sha256, replica readonly, an idle
// zvol costs no snapshot), a cut zvol transfer resumes, `snapshots:` retention and the checks work on zvols, and
// promote/failback move a VM disk between sides with the hook from docs/zvols.md bringing the device back, and
// after a takeover the returning old primary's VM disk is demoted: its diverged blocks kept in a readable aside
// zvol, the disk itself a replica equal to the new primary's.
import { execa } from 'execa';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cliBuilt, runCli } from '../helpers/cli.js';
import { knownHostsFor, relay, type Relay } from '../helpers/relay.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

interface JsonReport {
  report: { targets: { datasets: { steps: { kind: string }[] }[] }[] };
}

describe.skipIf(reason)(`openzfs: zvols${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, { timeout: 600_000 }, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let dir: string;
  let link: Relay | undefined;
  const gx = (cmd: string) => guest.exec(cmd, { timeoutMs: 120_000 });
  const cli = (args: string[]) => runCli(['--state-dir', `${dir}/state`, ...args], { timeoutMs: 300_000 });
  const sync = (args: string[], extra: string[] = []) => cli(['sync', ...guest.cliArgs, ...extra, ...args]);
  const S = (name: string) => guest.side(`${roots.src}/${name}`);
  const D = (name: string) => guest.side(`${roots.dst}/${name}`);
  const prop = async (ds: string, p: string) => (await gx(`zfs get -H -p -o value ${p} '${ds}'`)).trim();
  /** The zvol's device link: udev writes a blank of the dataset name as '+' (docs/zvols.md). */
  const dev = (ds: string) => `/dev/zvol/${ds.replace(/ /g, '+')}`;
  /** Waits (bounded, for udev) until the zvol's device node exists, then prints its sha256. */
  const devSum = async (ds: string): Promise<string> =>
    (await gx(`udevadm settle; for i in $(seq 100); do [ -b '${dev(ds)}' ] && break; sleep 0.2; done; sha256sum < '${dev(ds)}'`)).trim();
  const hasDevice = async (ds: string) => (await gx(`udevadm settle; [ -e '${dev(ds)}' ] && echo yes || echo no`)).trim() === 'yes';
  const readOnlyDevice = async (ds: string) => (await gx(`udevadm settle; blockdev --getro '${dev(ds)}'`)).trim() === '1';
  /** Writes `kib` KiB of random data into the zvol at `offsetKib`, through its block device. */
  const fill = (ds: string, kib: number, offsetKib = 0) =>
    gx(`udevadm settle; dd if=/dev/urandom of='${dev(ds)}' bs=64k count=${kib / 64} seek=${offsetKib / 64} conv=fsync status=none`);
  const newestGuid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 '${ds}' | tail -n 1`)).trim();
  const expectSame = async (src: string, dst: string) => {
    expect(await newestGuid(dst), `${dst} newest snapshot GUID`).toBe(await newestGuid(src));
    expect(await devSum(dst), `${dst} block device`).toBe(await devSum(src));
  };
  const snapshots = async (ds: string) => (await gx(`zfs list -H -o name -t snapshot -d 1 '${ds}'`)).trim().split('\n').filter(Boolean);

  beforeAll(async () => {
    roots = await guest.uniqueRoots('zvol', { dstProps: { mountpoint: 'none' } });
    dir = `${TEST_ROOT}/${uniqueName('zvol-oz-')}`;
    mkdirSync(`${dir}/state`, { recursive: true });
  });
  afterAll(async () => {
    // An aside tree is a clone family of the demoted tree: destroy it first, then the roots.
    await gx(`for d in $(zfs list -H -o name -r ${roots?.src} | grep zfailover-diverged | sort -r); do zfs destroy -r "$d"; done; true`).catch(() => undefined);
    await link?.stop();
    await roots?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('replicates a single zvol full then incrementally: replica readonly, block devices equal, an idle zvol costs nothing', async () => {
    await gx(`zfs create -V 16M -o volblocksize=16k ${roots.src}/vol`);
    await fill(`${roots.src}/vol`, 2048);
    let r = await sync([S('vol'), D('vol')]);
    expect(r.code, r.stdout).toBe(0);
    await expectSame(`${roots.src}/vol`, `${roots.dst}/vol`);
    const replica = `${roots.dst}/vol`;
    expect(await prop(replica, 'type')).toBe('volume');
    expect(await prop(replica, 'readonly')).toBe('on');
    expect(await prop(replica, 'volsize')).toBe(String(16 * 1024 * 1024));
    expect(await prop(replica, 'volblocksize')).toBe(String(16 * 1024));
    expect(await readOnlyDevice(replica)).toBe(true);

    await fill(`${roots.src}/vol`, 1024, 8192);
    r = await sync([S('vol'), D('vol')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(/1 snapshot/);
    await expectSame(`${roots.src}/vol`, replica);

    const before = await snapshots(`${roots.src}/vol`);
    r = await sync([S('vol'), D('vol')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(/up to date/);
    expect(await snapshots(`${roots.src}/vol`)).toEqual(before);
    // The replica zvol keeps the sync snapshot and nothing else; the source a cursor bookmark.
    expect((await snapshots(replica)).filter((n) => n.includes('@zfailover-sync_'))).toHaveLength(1);
    expect(await gx(`zfs list -H -o name -t bookmark -d 1 ${roots.src}/vol`)).toMatch(/#zfailover-cursor_/);
  });

  it('replicates zvols inside a -r tree (filesystems and zvols mixed, a sparse one), full and incremental', async () => {
    const t = `${roots.src}/pve data`;
    await gx(
      `zfs create '${t}' && echo conf > '/${t}/vm-100.conf' && zfs create -V 8M '${t}/vm-100-disk-0' && zfs create '${t}/sub' && zfs create -s -V 32M '${t}/sub/vm-101-disk-0'`,
    );
    await fill(`${t}/vm-100-disk-0`, 1024);
    await fill(`${t}/sub/vm-101-disk-0`, 512, 4096);
    const d = `${roots.dst}/pve data`;
    let r = await sync(['-r', S('pve data'), D('pve data')]);
    expect(r.code, r.stdout).toBe(0);
    expect((await gx(`zfs list -H -o name,type,readonly -t filesystem,volume -r '${d}'`)).trim()).toBe(
      [`${d}\tfilesystem\ton`, `${d}/sub\tfilesystem\ton`, `${d}/sub/vm-101-disk-0\tvolume\ton`, `${d}/vm-100-disk-0\tvolume\ton`].join('\n'),
    );
    await expectSame(`${t}/vm-100-disk-0`, `${d}/vm-100-disk-0`);
    await expectSame(`${t}/sub/vm-101-disk-0`, `${d}/sub/vm-101-disk-0`);
    expect(await prop(`${d}/sub/vm-101-disk-0`, 'refreservation')).toBe('0'); // sparse stays sparse

    // Only the written zvol gets a new snapshot; the others stay at their snapshot.
    const idle = await snapshots(`${t}/vm-100-disk-0`);
    await fill(`${t}/sub/vm-101-disk-0`, 256, 16384);
    r = await sync(['-r', S('pve data'), D('pve data')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.line).toMatch(/1 snapshot/);
    expect(await snapshots(`${t}/vm-100-disk-0`)).toEqual(idle);
    await expectSame(`${t}/sub/vm-101-disk-0`, `${d}/sub/vm-101-disk-0`);
    await expectSame(`${t}/vm-100-disk-0`, `${d}/vm-100-disk-0`);
  });

  it('resumes a cut zvol transfer from its token', async () => {
    const v = `${roots.src}/res`;
    await gx(`zfs create -V 16M ${v}`);
    await fill(v, 256);
    expect((await sync([S('res'), D('res')])).code).toBe(0);
    await fill(v, 3072, 4096);
    // Throttled so that it is still streaming when cut: 3 MiB at 96 KiB/s takes over 30 s.
    const run = execa(BIN, ['--state-dir', `${dir}/state`, 'sync', ...guest.cliArgs, '--bwlimit', '96K', S('res'), D('res')], { reject: false });
    const received = async () => {
      const x = await guest.run(`zfs get -H -p -o value written '${roots.dst}/res/%recv'`);
      return x.exitCode === 0 && /^\d+$/.test(x.stdout.trim()) ? Number(x.stdout.trim()) : 0;
    };
    for (const bound = Date.now() + 300_000; (await received()) < 128 * 1024;) {
      if (typeof run.exitCode === 'number' || Date.now() > bound) throw new Error(`no partial receive seen (sync exit ${run.exitCode})`);
      await new Promise((res) => setTimeout(res, 250));
    }
    run.kill('SIGTERM');
    expect((await run).exitCode).toBe(1);
    expect(await prop(`${roots.dst}/res`, 'receive_resume_token')).not.toBe('-');
    let next = await sync([S('res'), D('res')], ['--json']);
    for (let i = 0; i < 3 && next.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 2000));
      next = await sync([S('res'), D('res')], ['--json']);
    }
    expect(next.code, next.stdout).toBe(0);
    expect((JSON.parse(next.stdout) as JsonReport).report.targets[0]!.datasets[0]!.steps[0]!.kind).toBe('resume');
    expect(await prop(`${roots.dst}/res`, 'receive_resume_token')).toBe('-');
    await expectSame(v, `${roots.dst}/res`);
  });

  it('takes and prunes snapshots: entries on a zvol, replica-side keep, and the checks report it', async () => {
    const v = `${roots.src}/ret`;
    await gx(`zfs create -V 8M ${v}`);
    const config = `${dir}/retention.yml`;
    writeFileSync(
      config,
      [
        'ssh:',
        `  key: ${guest.keyFile}`,
        '  options:',
        ...guest.sshOptions.map((o) => `    - ${o}`),
        'snapshots:',
        `  - dataset: ${S('ret')}`,
        '    schedules:',
        '      hourly: {keep: 3}',
        'jobs:',
        '  ret:',
        `    source: ${S('ret')}`,
        '    targets:',
        `      - dataset: ${D('ret')}`,
        '        keep: {hourly: 2}',
        '',
      ].join('\n'),
    );
    const c = (...args: string[]) => cli(['--config', config, ...args]);
    const base = Date.parse('2026-01-05T10:30:00Z');
    for (let h = 0; h < 5; h++) {
      await fill(v, 64, h * 64);
      const now = new Date(base + h * 3_600_000).toISOString();
      const s = await c('snapshot', '--now', now);
      expect(s.code, s.stdout).toBe(0);
      const r = await c('sync', '--job', 'ret');
      expect(r.code, r.stdout).toBe(0);
      const p = await c('prune', '--now', now);
      expect(p.code, p.stdout).toBe(0);
    }
    const hourly = (names: string[]) => names.filter((n) => n.includes('@zfailover_hourly_'));
    expect(hourly(await snapshots(v))).toHaveLength(3);
    expect(hourly(await snapshots(`${roots.dst}/ret`))).toHaveLength(2);
    await expectSame(v, `${roots.dst}/ret`);
    for (const check of ['rpo', 'divergence', 'job']) {
      const r = await c('check', check, '--job', 'ret');
      expect(r.code, `check ${check}: ${r.stdout}`).toBe(0);
    }
  });

  it('promote makes the VM disk writable on the standby (device brought back by the documented hook); failback carries its writes home', async () => {
    // The standby's parent has volmode=none (docs/zvols.md): replica zvols have no device node until promote.
    const a = `${roots.src}/vm`;
    const bParent = `${roots.dst}/vms`;
    const b = `${bParent}/vm`;
    await gx(`zfs create ${a} && zfs create -V 8M ${a}/vm-100-disk-0 && zfs create -o volmode=none ${bParent}`);
    await fill(`${a}/vm-100-disk-0`, 1024);
    const doc = readFileSync(`${ROOT}docs/zvols.md`, 'utf8').split('\n');
    const at = doc.findIndex((l) => l.trim() === '- name: zvol-devices');
    const hook = doc.slice(at, at + 4);
    expect(hook.at(-1)).toMatch(/^\s+run: /);
    const config = `${dir}/failover.yml`;
    writeFileSync(
      config,
      [
        'ssh:',
        `  key: ${guest.keyFile}`,
        '  options:',
        ...guest.sshOptions.map((o) => `    - ${o}`),
        'jobs:',
        '  vm:',
        `    source: ${guest.side(a)}`,
        `    targets: [${guest.side(b)}]`,
        '    recursive: true',
        '    failover:',
        '      hooks:',
        ...hook,
        '  vm-back:',
        `    source: ${guest.side(b)}`,
        `    targets: [${guest.side(a)}]`,
        '    recursive: true',
        '    failover:',
        '      hooks:',
        ...hook,
        '',
      ].join('\n'),
    );
    const c = (...args: string[]) => cli(['--config', config, ...args]);
    let r = await c('sync', '--job', 'vm');
    expect(r.code, r.stdout).toBe(0);
    expect(await prop(`${b}/vm-100-disk-0`, 'volmode')).toBe('none');
    expect(await hasDevice(`${b}/vm-100-disk-0`)).toBe(false);

    r = await c('promote', '--job', 'vm');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/hook zvol-devices on .*: ok, exit 0/);
    expect(await prop(`${b}/vm-100-disk-0`, 'readonly')).toBe('off');
    expect(await readOnlyDevice(`${b}/vm-100-disk-0`)).toBe(false);
    expect(await devSum(`${b}/vm-100-disk-0`)).toBe(await devSum(`${a}/vm-100-disk-0`));
    // The old primary's disk is read-only now: no VM left there can write to it.
    expect(await readOnlyDevice(`${a}/vm-100-disk-0`)).toBe(true);

    // The "VM" writes on the promoted side; replication goes back, failback carries the writes home.
    await fill(`${b}/vm-100-disk-0`, 512, 2048);
    r = await c('sync', '--job', 'vm-back');
    expect(r.code, r.stdout).toBe(0);
    r = await c('promote', '--job', 'vm-back');
    expect(r.code, r.stdout).toBe(0);
    expect(await readOnlyDevice(`${a}/vm-100-disk-0`)).toBe(false);
    expect(await readOnlyDevice(`${b}/vm-100-disk-0`)).toBe(true);
    await expectSame(`${b}/vm-100-disk-0`, `${a}/vm-100-disk-0`);
    await fill(`${a}/vm-100-disk-0`, 64, 4096);
    r = await c('sync', '--job', 'vm');
    expect(r.code, r.stdout).toBe(0);
    await expectSame(`${a}/vm-100-disk-0`, `${b}/vm-100-disk-0`);
    const st = await c('status', '--job', 'vm');
    expect(st.code, st.stdout).toBe(0);
  });

  it("takeover, then demote: the returning old primary's VM disk keeps its diverged blocks in a readable aside zvol and becomes an equal replica", async () => {
    // A is reached through a relay this test cuts ("the primary's host is down"), B directly; both live in the guest.
    link = await relay(guest.port);
    knownHostsFor(`${dir}/relay_known_hosts`, guest.knownHostsFile, guest.port, link);
    const a = `${roots.src}/tk vm`;
    const b = `${roots.dst}/tk vm`;
    const disk = 'vm-200-disk-0';
    await gx(`zfs create '${a}' && zfs create -V 8M '${a}/${disk}'`);
    await fill(`${a}/${disk}`, 1024);
    const A = `root@127.0.0.1:${link.port}:${a}`;
    const config = `${dir}/takeover.yml`;
    writeFileSync(
      config,
      [
        'ssh:',
        `  key: ${guest.keyFile}`,
        '  options:',
        `    - UserKnownHostsFile=${dir}/relay_known_hosts`,
        '    - GlobalKnownHostsFile=/dev/null',
        '    - IdentitiesOnly=yes',
        'jobs:',
        '  tk:',
        `    source: "${A}"`,
        `    targets: ["${guest.side(b)}"]`,
        '    recursive: true',
        '  tk-back:',
        `    source: "${guest.side(b)}"`,
        `    targets: ["${A}"]`,
        '    recursive: true',
        '',
      ].join('\n'),
    );
    const c = (...args: string[]) => cli(['--config', config, ...args]);
    let r = await c('sync', '--job', 'tk');
    expect(r.code, r.stdout).toBe(0);
    await expectSame(`${a}/${disk}`, `${b}/${disk}`);

    // The VM on A writes after the last sync; then A's host goes away and B takes over.
    await fill(`${a}/${disk}`, 512, 4096);
    const diverged = await devSum(`${a}/${disk}`);
    await link.cut();
    try {
      r = await c('promote', '--job', 'tk', '--takeover', '--force');
      expect(r.code, r.stdout).toBe(0);
      expect(await readOnlyDevice(`${b}/${disk}`)).toBe(false);
      await fill(`${b}/${disk}`, 256, 6144);
    } finally {
      await link.restore();
    }
    // A is back, still marked primary: replicating from it is refused until it is demoted.
    r = await c('sync', '--job', 'tk');
    expect(r.code, r.stdout).toBe(2);
    expect(r.line).toMatch(/target-is-primary/);

    const before = await devSum(`${a}/${disk}`);
    const dry = await c('demote', '--job', 'tk-back', '--dry-run');
    expect(dry.code, dry.stdout).toBe(0);
    expect(await devSum(`${a}/${disk}`)).toBe(before);

    r = await c('demote', '--job', 'tk-back');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`its diverged writes kept in ${a}.zfailover-diverged-`);
    const asides = (await gx(`zfs list -H -o name -d 1 ${roots.src}`)).split('\n').filter((n) => n.startsWith(`${a}.zfailover-diverged-`));
    expect(asides, r.stdout).toHaveLength(1);
    const aside = asides[0]!;
    // The aside zvol holds exactly what the VM had written on A, readable as a block device.
    expect(await prop(`${aside}/${disk}`, 'type')).toBe('volume');
    expect(await devSum(`${aside}/${disk}`)).toBe(diverged);
    // A's disk is now a read-only replica with B's blocks, and replication runs the other way.
    expect(await prop(a, 'zfailover:role')).toBe('replica');
    expect(await readOnlyDevice(`${a}/${disk}`)).toBe(true);
    await expectSame(`${b}/${disk}`, `${a}/${disk}`);
    await fill(`${b}/${disk}`, 64, 7168);
    r = await c('sync', '--job', 'tk-back');
    expect(r.code, r.stdout).toBe(0);
    await expectSame(`${b}/${disk}`, `${a}/${disk}`);
    const st = await c('status', '--job', 'tk-back');
    expect(st.code, st.stdout).toBe(0);
  });
});
