// Issue 19: the target host loses power mid-receive. A private OpenZFS guest (own port, run directory and data
// disks) receives from the shared guest (remote to remote, both OpenZFS: resumable receives need OpenZFS on both
// ends, zfs-fuse cannot send from a token); once part of the stream is on the target's disk
// (`zpool sync`, so the partial state is durable: no timing guess), qemu is SIGKILLed. The run must end WARNING
// with a first line naming the unreachable host and the bytes that reached the receiver; after the guest boots
// again the next cycle resumes from the saved token (no full resend) and the replica equals the source.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliBuilt, runCli, type CliResult } from '../helpers/cli.js';
import { openzfsGuest, session, skipNote, type GuestRoots, type GuestSession, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';
import { sq } from './guest-scripts.js';
import { DEFAULT_CACHE, prepareGuest, SCRIPT, type PreparedGuest } from './lifecycle.js';
import { freePort } from '../helpers/ports.js';

// Without the shared guest the image is not built either: a private one would fail for the same reason.
const g = await openzfsGuest();
const reason = g.reason ?? cliBuilt();
const shared = g.reason === undefined ? g : null;

const perf = (r: CliResult, key: string): number => Number(new RegExp(`${key}=(\\d+)`).exec(r.line)?.[1] ?? NaN);
const MiB = 1024 * 1024;

/** sha256 of each file of a snapshot on a guest, read through a temporary clone there. */
const sums = async (on: GuestSession, snapshot: string): Promise<string> => {
  const clone = `${snapshot.split('/')[0]}/pc-verify-${randomBytes(3).toString('hex')}`;
  const out = await on.exec(`zfs clone -o mountpoint=/${clone} ${sq(snapshot)} ${clone} && (cd /${clone} && sha256sum *); r=$?; zfs destroy ${clone}; exit $r`);
  return out.trim();
};

describe.skipIf(reason)(`openzfs: power cut of the target mid-receive${reason ? ` (skipped: ${reason})` : skipNote(g)}`, () => {
  const runDir = `${process.env.ZFSLAB_CACHE ?? DEFAULT_CACHE}/run-powercut-${randomBytes(3).toString('hex')}`;
  const tmp = mkdtempSync('/tmp/zfo-test-ozpc-');
  // small and single-CPU: this guest runs next to the shared one and other test files
  const scriptEnv = { ZFSLAB_RUN: runDir, ZFSLAB_MEM: '1024', ZFSLAB_SMP: '1', ZFSLAB_DISK_SIZE: '1G' };
  let port = 0;
  const leases: PreparedGuest[] = [];
  let guest: GuestSession;
  let roots: GuestRoots | undefined;
  let stateDir: string;
  const knownHosts = `${tmp}/known_hosts`;
  const script = (...args: string[]) => execa(SCRIPT, args, { env: { ...scriptEnv, ZFSLAB_SSH_PORT: String(port) }, reject: false, timeout: 600_000 });
  const boot = async (n: number): Promise<void> => {
    const p = await prepareGuest({ port, scriptEnv, stateDir: `${tmp}/lease${n}` });
    leases.push(p);
    if (p.state.reason !== undefined) throw new Error(`private guest: ${p.state.reason}`);
    guest = session(port, p.state.keyFile, p.state.knownHostsFile, mkdtempSync(`${tmp}/ctl-`));
    // One known_hosts for zfailover's ssh to both guests (the same lab key logs into both); host-key checking stays on.
    if (shared) writeFileSync(knownHosts, readFileSync(shared.knownHostsFile, 'utf8') + readFileSync(p.state.knownHostsFile, 'utf8'));
  };

  beforeAll(async () => {
    port = await freePort();
    await boot(1);
    if (shared) roots = await shared.uniqueRoots('pc');
    stateDir = `${TEST_ROOT}/${uniqueName('state pc ')}`;
    mkdirSync(stateDir, { recursive: true });
  }, 900_000);
  afterAll(async () => {
    for (const l of leases) await l.release();
    await script('kill');
    await roots?.cleanup();
    rmSync(runDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 600_000);

  test('WARNING naming the host and the bytes received; after the reboot the next cycle resumes and the replica is equal', async () => {
    const src: OpenzfsGuest = shared!;
    const s = `${roots!.src}/pc data`;
    const t = `dst/pc copy ${randomBytes(2).toString('hex')}`;
    await src.exec(`zfs create ${sq(s)} && head -c ${24 * MiB} /dev/urandom > ${sq(`/${s}/big.bin`)}`);
    const cli = [
      '--ssh-key',
      guest.keyFile,
      '--ssh-option',
      `UserKnownHostsFile=${knownHosts}`,
      '--ssh-option',
      'GlobalKnownHostsFile=/dev/null',
      '--ssh-option',
      'IdentitiesOnly=yes',
    ];
    const sync = (...extra: string[]) =>
      runCli(['--state-dir', stateDir, 'sync', ...cli, ...extra, src.side(s), `root@127.0.0.1:${port}:${t}`], { timeoutMs: 600_000 });
    // 1 MiB/s: the transfer takes ~24 s, far longer than it takes to see its first durable bytes.
    const running = sync('--bwlimit', '1M');
    let finished: CliResult | undefined;
    void running.then((r) => (finished = r));
    // The precondition, created and then checked: part of the stream is on the guest's disk.
    for (;;) {
      if (finished) throw new Error(`the transfer ended before the power cut: ${finished.stdout}`);
      // A first (full) receive writes into the new dataset itself (an incremental one would use `<t>/%recv`).
      const used = await guest.run(`zpool sync dst && zfs get -H -p -o value used ${sq(t)}`, { timeoutMs: 120_000 });
      if (used.exitCode === 0 && Number(used.stdout.trim()) >= 2 * MiB) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // The power cut: qemu SIGKILLed (no guest shutdown, nothing flushed beyond the last txg).
    const pid = Number(readFileSync(`${runDir}/qemu.pid`, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    const r = await running;
    expect(r.code, r.stdout).toBe(1);
    const host = `root@127\\.0\\.0\\.1:${port}`;
    expect(r.line, r.stdout).toMatch(
      new RegExp(`^WARNING: .*${host} unreachable: (connection lost during zfs receive|connection refused|connection reset|connection closed)`),
    );
    expect(r.stdout.split('\n')[0]!.length).toBeLessThan(300);
    // The bytes are what reached the receiver (its meter's last report), not the sender's 0.
    expect(perf(r, 'sent'), r.line).toBeGreaterThan(0);
    expect(perf(r, 'sent'), r.line).toBeLessThanOrEqual(26 * MiB);
    expect(readdirSync(`${stateDir}/locks`)).toEqual([]);

    await script('kill'); // drops the dead instance's pid file and ssh master
    await boot(2);
    const token = (await guest.exec(`zfs get -H -o value receive_resume_token ${sq(t)}`)).trim();
    expect(token, 'the partial receive survived the power cut').toMatch(/^1-/);
    // The plan resumes from the token: no full resend.
    const plan = await sync('--dry-run');
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toMatch(/zfs send -t /);
    const after = await sync();
    expect(after.code, after.stdout).toBe(0);
    expect((await guest.exec(`zfs get -H -o value receive_resume_token ${sq(t)}`)).trim()).toBe('-');
    // The replica equals the source: GUIDs, and checksums read through a clone on each guest.
    const newest = (await src.exec(`zfs list -H -t snapshot -o name -s createtxg ${sq(s)} | tail -n 1`)).trim().split('@')[1]!;
    const guid = (await src.exec(`zfs get -H -p -o value guid ${sq(`${s}@${newest}`)}`)).trim();
    expect((await guest.exec(`zfs get -H -p -o value guid ${sq(`${t}@${newest}`)}`)).trim()).toBe(guid);
    expect(await sums(guest, `${t}@${newest}`)).toBe(await sums(src, `${s}@${newest}`));
    expect(readdirSync(`${stateDir}/locks`)).toEqual([]);
  }, 900_000);
});
