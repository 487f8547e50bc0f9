// Lifecycle of the guest harness on a private instance (own port, run directory and data disks, shared image):
// a hand-started guest (given a pushed file set) is reused and never stopped; a guest the harness booted gets its pools created, is reused
// by a second run, and is stopped only when the last lease is released; a guest that cannot boot becomes a skip
// reason carrying the log's tail.
import { afterAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { openzfsGuest, skipNote } from '../helpers/openzfs.js';
import { DEFAULT_CACHE, prepareGuest, SCRIPT } from './lifecycle.js';
import { freePort } from '../helpers/ports.js';

// Without the shared guest the image is not built either: booting a second one would fail for the same reason.
const g = await openzfsGuest();

describe.skipIf(g.reason)(`openzfs: harness lifecycle on a private guest${skipNote(g)}`, () => {
  const cache = process.env.ZFSLAB_CACHE ?? DEFAULT_CACHE;
  const runDir = `${cache}/run-lifecycle-${randomBytes(3).toString('hex')}`;
  const tmp = mkdtempSync('/tmp/zfo-test-ozlc-');
  // small and single-CPU: this guest runs next to the shared one and other test files
  const scriptEnv = { ZFSLAB_RUN: runDir, ZFSLAB_MEM: '1024', ZFSLAB_SMP: '1', ZFSLAB_DISK_SIZE: '1G' };
  let port = 0;
  const script = (...args: string[]) => execa(SCRIPT, args, { env: { ...scriptEnv, ZFSLAB_SSH_PORT: String(port) }, reject: false, timeout: 600_000 });
  const alive = async () => (await script('alive')).exitCode === 0;
  let server: Server | undefined;
  const poolCreation = async () => (await script('exec', 'zfs get -H -p -o value creation src dst')).stdout.trim();
  let created = '';

  afterAll(async () => {
    server?.close();
    if (port) await script('kill');
    rmSync(runDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  test('hand-started (with a pushed file set): reused, pools created, never stopped by release', async () => {
    port = await freePort();
    // ZFSLAB_PUSH_DIR: a file tree copied into the snapshot=on root at boot; existing directories keep their modes
    mkdirSync(`${tmp}/push/etc`, { recursive: true });
    mkdirSync(`${tmp}/push/tmp/zfo-pushed`, { recursive: true, mode: 0o755 });
    writeFileSync(`${tmp}/push/etc/zfo-pushed`, 'pushed at boot\n');
    const started = await execa(SCRIPT, ['start'], {
      env: { ...scriptEnv, ZFSLAB_SSH_PORT: String(port), ZFSLAB_PUSH_DIR: `${tmp}/push` },
      reject: false,
      timeout: 600_000,
    });
    expect(started.exitCode, started.stderr).toBe(0);
    const pushed = await script('exec', 'cat /etc/zfo-pushed; stat -c %a /tmp; test -d /tmp/zfo-pushed && echo dir');
    expect(pushed.stdout).toBe('pushed at boot\n1777\ndir');
    const a = await prepareGuest({ port, scriptEnv, stateDir: `${tmp}/a` });
    expect(a.state.reason).toBeUndefined();
    expect(a.state).toMatchObject({ started: false, port });
    // fresh data disks: the pools were created by ensure-pools
    expect(existsSync(`${runDir}/disk1.img`)).toBe(true);
    created = await poolCreation();
    expect(created).toMatch(/^\d+\n\d+$/);
    await a.release();
    expect(await alive()).toBe(true);
    const stopped = await script('stop');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(await alive()).toBe(false);
  }, 600_000);

  test('harness-started: reused by a second run, stopped after the last lease only; pools persist', async () => {
    const a = await prepareGuest({ port, scriptEnv, stateDir: `${tmp}/b1` });
    expect(a.state.reason).toBeUndefined();
    expect(a.state).toMatchObject({ started: true });
    expect(await poolCreation()).toBe(created); // imported at boot, not created again
    const b = await prepareGuest({ port, scriptEnv, stateDir: `${tmp}/b2` });
    expect(b.state).toMatchObject({ started: false });
    await a.release();
    expect(await alive()).toBe(true);
    await b.release();
    expect(await alive()).toBe(false);
    expect((await script('status')).stdout).toMatch(/^stopped/);
  }, 600_000);

  test('a guest that cannot boot becomes a skip reason with the log tail, and nothing is left running', async () => {
    // something else owns the port: not an sshd, so no guest answers and qemu cannot forward it
    const busy = await freePort();
    server = createServer((c) => c.destroy());
    await new Promise<void>((r) => server?.listen(busy, '127.0.0.1', r));
    const r = await prepareGuest({ port: busy, scriptEnv: { ...scriptEnv, ZFSLAB_RUN: `${runDir}-busy` }, stateDir: `${tmp}/c` });
    rmSync(`${runDir}-busy`, { recursive: true, force: true });
    expect(r.state.reason).toMatch(new RegExp(`guest build/boot failed \\(exit 1\\): .*127\\.0\\.0\\.1:${busy} already in use`));
    expect(r.state.reason).toContain(`(log: ${tmp}/c/harness.log)`);
    const pgrep = await execa('pgrep', ['-f', `hostfwd=tcp:127.0.0.1:${busy}-`], { reject: false });
    expect(pgrep.stdout).toBe('');
  }, 120_000);
});
