// The shipped monit/zfailover-sync.monitrc in real Monit (Debian 5.33, foreground, private control file, 2 s
// cycle) replicating between two zfs-fuse pools: the replica follows the source by checksum and GUID, a write
// into the replica makes Monit fail the program with exit 2 and mail the CRITICAL line (the shipped
// `status != 0 for 4 cycles` rule), and the operator's --rollback-target brings it back to OK with a recovery mail. Nothing but Monit
// runs the sync, so every change on the replica is Monit's doing.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt, runCli } from '../helpers/cli.js';
import { monitUnavailableReason, startMonit, type TestMonit } from '../helpers/monit.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames, writeRandom } from '../helpers/replica.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { TEST_ROOT, createPool, ensureDir, treeChecksums, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? monitUnavailableReason() ?? cliBuilt();
const NAME = 'zfailover-sync-data';
const SHIPPED = readFileSync(`${ROOT}monit/zfailover-sync.monitrc`, 'utf8');
const DIR = `${TEST_ROOT}/${uniqueName('syncmonit-')}`;
const CONFIG = `${DIR}/zfailover.yml`;
// Only the binary's directory and the config path change; the rules, timeout and cadence are the shipped ones.
const RENDERED = SHIPPED.replaceAll('/usr/local/bin/', `${ROOT}bin/`).replaceAll('--job data"', `--job data --config ${CONFIG}"`);
const TIMEOUT_SEC = Number(/^check program zfailover-sync-data .* with timeout (\d+) seconds$/m.exec(SHIPPED)?.[1]);
// The deadline the shipped comment and the example config promise is below Monit's timeout.
const DEADLINE_SEC = Number(/^ {4}deadline: (\d+)s/m.exec(readFileSync(`${ROOT}examples/zfailover.yml`, 'utf8'))?.[1]);

describe.skipIf(reason)(`monit/zfailover-sync.monitrc in real Monit${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let smtp: SmtpSink;
  let monit: TestMonit | undefined;
  let S: string;
  let T: string;
  const ctl = (...args: string[]) => execa('/usr/bin/monit', ['-c', monit!.rcFile, ...args]);
  const mailsFor = () => smtp.messages.filter((m) => (m.mail.text ?? '').includes(NAME)).map((m) => `${m.mail.subject}\n${m.mail.text}`);

  // Monit keeps syncing every cycle and each cycle replaces the sync snapshot, so comparisons happen with the
  // service unmonitored and no run of this job left (a clone of a snapshot would make the sync's prune fail).
  const paused = async <R>(fn: () => Promise<R>): Promise<R> => {
    await ctl('unmonitor', NAME);
    await monit!.waitFor(NAME, (s) => /monitoring status\s+Not monitored/.test(s.raw), 20_000);
    await idle();
    try {
      return await fn();
    } finally {
      await ctl('monitor', NAME);
    }
  };
  const expectReplicaEqual = async (): Promise<string> => {
    const newest = (await snapshotNames(T)).at(-1)!;
    expect(newest).toMatch(/^zfailover-sync_data_/);
    expect((await guidsOf(T))[newest]).toBe((await guidsOf(S))[newest]);
    const replica = await snapshotChecksums(`${T}@${newest}`);
    expect(replica).toEqual(await snapshotChecksums(`${S}@${newest}`));
    return newest;
  };

  // No run of the job and none of its zfs children (a run Monit SIGKILLed leaves them orphaned) is alive.
  // pgrep exits 1 when nothing matches, 0 while something does; anything else is an error, not "idle".
  const idle = async (): Promise<void> => {
    const pattern = `--config ${CONFIG}|zfs (send|receive|recv) .*(${src.name}|${dst.name})/`;
    for (let i = 0; (await execa('pgrep', ['-f', '--', pattern], { reject: false })).exitCode !== 1; i++) {
      if (i > 300) throw new Error('a sync run did not end (or pgrep failed)');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    src = await createPool('zfomsrc');
    dst = await createPool('zfomdst');
    smtp = await startSmtpSink();
    S = `${src.name}/data`;
    T = `${dst.name}/data`;
    ensureDir(DIR);
    await zfs('create', S);
    await writeRandom(`${await mountpointOf(S)}/a.bin`, 2);
    writeFileSync(
      CONFIG,
      `version: 1\nstate_dir: ${DIR}/state\nlog: { file: ${DIR}/zfailover.log, level: info }\njobs:\n  data:\n    source: ${S}\n    targets: [${T}]\n    deadline: ${DEADLINE_SEC}s\n`,
      { mode: 0o600 },
    );
    monit = await startMonit({
      programs: [],
      services: RENDERED,
      cycleSec: 2,
      env: { PATH: '/usr/bin:/bin', HOME: DIR },
      extra: [`set mailserver 127.0.0.1 port ${smtp.port}`, 'set alert ops@example.test'],
    });
  });
  afterAll(async () => {
    // `zpool destroy -f` under a running send/receive can wedge the shared zfs-fuse daemon: stop Monit
    // starting runs, let the last one (and any orphaned zfs child) finish, and only then destroy.
    if (monit) {
      await ctl('unmonitor', NAME).catch(() => undefined);
      await monit.waitFor(NAME, (s) => /monitoring status\s+Not monitored/.test(s.raw), 20_000).catch(() => undefined);
      await monit.stop();
      await idle();
    }
    await smtp?.close();
    await src?.destroy();
    await dst?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test('Monit parses the shipped check: timeout above the deadline, its one status rule, every cycle', async () => {
    expect(RENDERED).not.toBe(SHIPPED);
    expect(TIMEOUT_SEC).toBeGreaterThan(DEADLINE_SEC);
    const v = await execa('/usr/bin/monit', ['-v', '-t', '-c', monit!.rcFile]);
    const block = v.stdout.slice(v.stdout.indexOf(`Program Name          = ${NAME}`));
    expect(block).toContain(`Path                 = ${ROOT}bin/zfailover sync --job data --config ${CONFIG}`);
    expect(block).toContain(`terminate the program if not finished within ${(TIMEOUT_SEC / 60).toFixed(3)} m`);
    expect(block).toMatch(/Status {15}= if exit value != 0 for 4 cycles then alert/);
    expect(block.match(/Status {15}=/g)).toHaveLength(1);
    expect(block).toContain('Check service every 1 cycles');
  });

  test('Monit runs the sync and the replica equals the source; a later change arrives on a later cycle', async () => {
    const first = await monit!.waitFor(NAME, (s) => s.lastExitValue === 0, 40_000);
    expect(first.status).toBe('OK');
    expect(first.lastOutput).toMatch(new RegExp(`^OK: ${S} to ${T} \\d+ snapshots? .* \\| sent=`));
    // The change is written while paused, so whichever run comes next snapshots it.
    let wanted: Record<string, string> = {};
    const before = await paused(async () => {
      const newest = await expectReplicaEqual();
      writeFileSync(`${await mountpointOf(S)}/later.txt`, `changed ${Date.now()}\n`);
      wanted = await treeChecksums(await mountpointOf(S));
      return newest;
    });
    await waitUntilAsync(async () => (await snapshotNames(T)).at(-1) !== before, 20_000);
    const arrived = await paused(async () => {
      const newest = await expectReplicaEqual();
      return { newest, files: await snapshotChecksums(`${T}@${newest}`) };
    });
    expect(arrived.newest).not.toBe(before);
    expect(arrived.files).toEqual(wanted);
  }, 90_000);

  test('a write into the replica: Monit fails the program with exit 2 and mails the CRITICAL line', async () => {
    await paused(async () => {
      await zfs('set', 'readonly=off', T);
      await zfs('mount', T);
      writeFileSync(`${await mountpointOf(T)}/local-change`, 'written on the standby\n');
      await umountRetrying(T);
    });
    // `for 4 cycles`: "Status failed" (and its one mail) from the fourth failed run.
    const s = await monit!.waitFor(NAME, (x) => x.lastExitValue === 2 && x.status === 'Status failed', 60_000);
    expect(s.lastOutput).toMatch(new RegExp(`^CRITICAL: ${S} to ${T} target-modified: `));
    expect(s.lastOutput).toMatch(/fix: .*--rollback-target/);
    expect(monit!.log()).toMatch(new RegExp(`'${NAME}' status failed \\(2\\) -- CRITICAL: ${S} to ${T} target-modified`));
    await waitUntil(() => mailsFor().some((m) => /Status failed/.test(m)), 30_000);
    expect(mailsFor().find((m) => /Status failed/.test(m))).toMatch(new RegExp(`status failed \\(2\\) -- CRITICAL: ${S} to ${T} target-modified`));
  }, 60_000);

  test('the operator discards the change with --rollback-target: Monit recovers to OK, the replica equals the source', async () => {
    const fix = await retryWhileBusy(() => runCli(['--config', CONFIG, 'sync', '--job', 'data', '--rollback-target'], { env: { PATH: '/usr/bin:/bin' } }));
    expect(fix.code, fix.stdout).toBe(0);
    const s = await monit!.waitFor(NAME, (x) => x.lastExitValue === 0, 30_000);
    expect(s.status).toBe('OK');
    // Monit shows the new status before it writes the log line: wait for the line (seen late on a busy machine).
    await waitUntil(() => new RegExp(`'${NAME}' status succeeded \\(0\\)`).test(monit!.log()), 15_000);
    await waitUntil(() => mailsFor().some((m) => /Status succeeded/.test(m)), 15_000);
    const files = await paused(async () => snapshotChecksums(`${T}@${await expectReplicaEqual()}`));
    expect(Object.keys(files)).not.toContain('./local-change');
    expect(Object.keys(files)).toContain('./later.txt');
  }, 60_000);
});

/** zfs-fuse answers "busy" for a while after a dataset was written or received. */
const umountRetrying = async (ds: string): Promise<void> => {
  for (let i = 0; ; i++) {
    const r = await execa('/usr/sbin/zfs', ['umount', ds], { reject: false });
    if (r.exitCode === 0) return;
    if (i >= 40) throw new Error(`zfs umount ${ds}: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 250));
  }
};

/** The operator's run can meet Monit's run holding the job lock (exit 1, `already running`): try again. */
const retryWhileBusy = async (fn: () => ReturnType<typeof runCli>): ReturnType<typeof runCli> => {
  for (let i = 0; ; i++) {
    const r = await fn();
    if (r.code !== 1 || !/already running/.test(r.line) || i >= 40) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
};

const waitUntilAsync = async (cond: () => Promise<boolean>, ms: number): Promise<void> => {
  for (const until = Date.now() + ms; !(await cond());) {
    if (Date.now() > until) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

const waitUntil = async (cond: () => boolean, ms: number): Promise<void> => {
  for (const until = Date.now() + ms; !cond();) {
    if (Date.now() > until) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
