// Smoke test of the OpenZFS guest harness: real OpenZFS 2.3 with pools src/dst, pinned host key, resumable
// receive, bookmarks, test roots that clean up after holds and partial receives, the zfs shim identity, and a
// second vitest run reusing the running guest.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { execa } from 'execa';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';

const g = await openzfsGuest();

/** One ssh call on a new connection (no ControlMaster), so host key and identity are checked again. */
const freshSsh = (argv: string[], command: string) => {
  const a = argv.map((x) => (x.startsWith('ControlMaster=') ? 'ControlMaster=no' : x.startsWith('ControlPath=') ? 'ControlPath=none' : x));
  return spawnSync(a[0] as string, [...a.slice(1), command], { encoding: 'utf8', timeout: 60_000 });
};
const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(g.reason)(`openzfs: guest harness${skipNote(g)}`, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let tmp: string;

  beforeAll(async () => {
    roots = await guest.uniqueRoots('harness');
    tmp = mkdtempSync('/tmp/zfo-test-oz-');
  });
  afterAll(async () => {
    await roots?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('pools src and dst are ONLINE, zfs reports 2.3 (userland and module), stream tools are installed', async () => {
    const pools = await guest.exec('zpool list -H -o name,health src dst');
    expect(pools.trim().split('\n').sort()).toEqual(['dst\tONLINE', 'src\tONLINE']);
    const version = await guest.exec('zfs version');
    expect(version).toMatch(/^zfs-2\.3\.\d+/m);
    expect(version).toMatch(/^zfs-kmod-2\.3\.\d+/m);
    expect(guest.zfsVersion).toMatch(/^zfs-2\.3\./);
    // the stream tools zfailover pipes through (--compress, --mbuffer, progress)
    const tools = await guest.exec('for t in mbuffer zstd lz4 pv; do command -v $t; done');
    expect(
      tools
        .trim()
        .split('\n')
        .map((p) => p.split('/').pop()),
    ).toEqual(['mbuffer', 'zstd', 'lz4', 'pv']);
  });

  test('the host key is pinned: a different key for the same address is refused', async () => {
    expect((await guest.exec('echo reached')).trim()).toBe('reached');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp, 'other')]);
    const other = readFileSync(join(tmp, 'other.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const wrong = join(tmp, 'wrong_known_hosts');
    writeFileSync(wrong, `[127.0.0.1]:${guest.port} ${other}\n`);
    const argv = guest.sshArgv().map((a) => (a === `UserKnownHostsFile=${guest.knownHostsFile}` ? `UserKnownHostsFile=${wrong}` : a));
    const r = freshSsh(argv, 'true');
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/host key/i);
  });

  test('resumable receive: a cut stream leaves a token, send -t completes it, GUIDs match', async () => {
    const s = `${roots.src}/resume`;
    const d = `${roots.dst}/resume`;
    await guest.exec(`zfs create ${s} && head -c 4000000 /dev/urandom > /${s}/blob && zfs snapshot ${s}@1`);
    // head cuts the stream: recv -s fails and keeps what it got
    const cut = await guest.run(`zfs send ${s}@1 | head -c 1500000 | zfs recv -s -u ${d}`);
    expect(cut.exitCode).not.toBe(0);
    const token = (await guest.exec(`zfs get -H -o value receive_resume_token ${d}`)).trim();
    expect(token).toMatch(/^1-[0-9a-f]+-[0-9a-f]+-/);
    await guest.exec(`zfs send -t ${token} | zfs recv -s -u ${d}`);
    expect((await guest.exec(`zfs get -H -o value receive_resume_token ${d}`)).trim()).toBe('-');
    const guids = await guest.exec(`zfs get -H -p -o value guid ${s}@1 ${d}@1`);
    const [a, b] = guids.trim().split('\n');
    expect(a).toMatch(/^\d+$/);
    expect(b).toBe(a);
  });

  test('bookmarks: an incremental from a bookmark works after its snapshot is destroyed', async () => {
    const s = `${roots.src}/bm`;
    const d = `${roots.dst}/bm`;
    await guest.exec(`zfs create ${s} && echo one > /${s}/f && zfs snapshot ${s}@1 && zfs send ${s}@1 | zfs recv -u ${d}`);
    await guest.exec(`zfs bookmark ${s}@1 ${s}#b1 && zfs destroy ${s}@1 && echo two > /${s}/f && zfs snapshot ${s}@2`);
    await guest.exec(`zfs send -i ${s}#b1 ${s}@2 | zfs recv -u ${d}`);
    const listed = await guest.exec(`zfs list -H -p -o name,guid -t bookmark,snapshot -r ${s} ${d}`);
    expect(listed).toMatch(new RegExp(`^${s}#b1\\t\\d+$`, 'm'));
    const guid = (n: string) => new RegExp(`^${n.replace(/[#@/]/g, '\\$&')}\\t(\\d+)$`, 'm').exec(listed)?.[1];
    expect(guid(`${d}@2`)).toBeDefined();
    expect(guid(`${d}@2`)).toBe(guid(`${s}@2`));
    expect(guid(`${d}@1`)).toBe(guid(`${s}#b1`)); // a bookmark keeps its snapshot's GUID
  });

  test('cleanup of test roots releases holds and removes partial receives', async () => {
    const r = await guest.uniqueRoots('cleanup');
    await guest.exec(`zfs create ${r.src}/a && head -c 3000000 /dev/urandom > /${r.src}/a/x && zfs snapshot ${r.src}/a@1`);
    await guest.exec(`zfs send ${r.src}/a@1 | zfs recv -u ${r.dst}/a && zfs hold zfailover_t_t ${r.dst}/a@1`);
    await guest.exec(`zfs snapshot ${r.src}/a@2 && zfs hold keep ${r.src}/a@2`);
    await guest.run(
      `head -c 100 /dev/urandom >> /${r.src}/a/x; zfs snapshot ${r.src}/a@3; zfs send -i @1 ${r.src}/a@3 | head -c 20000 | zfs recv -s -u ${r.dst}/a`,
    );
    expect((await guest.exec(`zfs get -H -o value userrefs ${r.dst}/a@1`)).trim()).toBe('1');
    await r.cleanup();
    const left = await guest.run(`zfs list -H -o name ${r.src} ${r.dst}`);
    expect(left.exitCode).not.toBe(0);
    expect(left.stdout).toBe('');
  });

  test("a zfs shim is first on PATH of its identity's ssh sessions, logs calls, and leaves other sessions alone", async () => {
    const shimFile = join(tmp, 'zfs-shim');
    writeFileSync(shimFile, '#!/bin/bash\nprintf \'%s\\n\' "$*" >> "$ZFS_CALL_LOG"\nexec /usr/sbin/zfs "$@"\n');
    const shim = await guest.installShim(shimFile);
    try {
      expect((await shim.exec('command -v zfs')).trim()).toBe(shim.path);
      expect(shim.env.PATH?.split(':')[0]).toBe(shim.dir);
      expect((await shim.exec('echo $ZFS_CALL_LOG')).trim()).toBe(shim.logFile);
      expect((await shim.exec(`zfs list -H -o name ${roots.src}`)).trim()).toBe(roots.src);
      // what a remote zfailover does: one ssh command line with quoted arguments
      await shim.exec(`zfs get -H -o value 'type' ${roots.dst}`);
      expect(await shim.calls()).toEqual([`list -H -o name ${roots.src}`, `get -H -o value type ${roots.dst}`]);
      expect(shim.cliArgs).toContain(shim.keyFile);
      expect((await guest.exec('command -v zfs')).trim()).toMatch(/^\/(usr\/)?s?bin\/zfs$/);
      await shim.clearCalls();
      expect(await shim.calls()).toEqual([]);
    } finally {
      await shim.remove();
    }
    expect((await guest.run(`test -e ${shim.path}`)).exitCode).toBe(1);
    const revoked = freshSsh(shim.sshArgv(), 'true');
    expect(revoked.status).toBe(255);
    expect(revoked.stderr).toMatch(/permission denied/i);
  });

  test('a second vitest run reuses the running guest and leaves it running', async () => {
    const bootId = (await guest.exec('cat /proc/sys/kernel/random/boot_id')).trim();
    const out = join(tmp, 'reuse.json');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const r = await execa('npx', ['vitest', 'run', '--config', 'test/openzfs/fixtures/reuse.config.ts'], {
      cwd: REPO,
      env: { ...env, ZFO_OPENZFS_PORT: String(guest.port), ZFO_REUSE_OUT: out },
      extendEnv: false,
      reject: false,
      timeout: 240_000,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const probe = JSON.parse(readFileSync(out, 'utf8')) as { started: boolean; bootId: string };
    expect(probe).toEqual({ started: false, bootId });
    // its teardown released only its own lease: the guest still answers, same boot
    expect((await guest.exec('cat /proc/sys/kernel/random/boot_id')).trim()).toBe(bootId);
  }, 300_000);
});
