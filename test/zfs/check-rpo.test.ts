// check_zfs_rpo on real ZFS (zfs-fuse): replicas made with plain `zfs send | zfs recv`, then made to lag, to
// hold look-alike snapshots, to miss a dataset, and read from a source that is down or reached over ssh.
// Every run's output goes through the independent parsers (check-oracles.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { judge } from '../cli/check-oracles.js';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { startSshd, sshdUnavailableReason, type TestSshd } from '../helpers/sshd.js';
import { TEST_ROOT, createPool, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();
const STATE = `${TEST_ROOT}/${uniqueName('ckrpo-state-')}`;
const rpo = async (...args: string[]) => {
  const r = await execa(`${ROOT}bin/check_zfs_rpo`, [...args, '--state-dir', STATE], { reject: false, env: { PATH: '/usr/bin:/bin' } });
  return { ...judge(r.stdout, r.exitCode ?? -1), code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
};
const send = async (args: string[], recv: string[]): Promise<void> => {
  await execa('bash', ['-c', 'set -o pipefail; zfs send "$@" | zfs recv ' + recv.map((a) => `'${a}'`).join(' '), 'x', ...args]);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(reason)(`check_zfs_rpo on zfs-fuse${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let P: string;
  beforeAll(async () => {
    pool = await createPool('ckrpo');
    P = pool.name;
    await zfs('create', `${P}/src`);
    await zfs('create', `${P}/src/child one`);
    await zfs('snapshot', '-r', `${P}/src@a`);
    await zfs('create', `${P}/bk`);
    await send([`${P}/src@a`], [`${P}/bk/dst`]);
    await send([`${P}/src/child one@a`], [`${P}/bk/dst/child one`]);
  });
  afterAll(async () => {
    await pool?.destroy();
    for (const d of [STATE, `${STATE}-hung`]) rmSync(d, { recursive: true, force: true });
  });

  test('in sync: OK, rpo is the age of the common snapshot, nothing behind', async () => {
    const r = await rpo(`${P}/src`, `${P}/bk/dst`);
    expect(r.state).toBe('OK');
    expect(r.summary).toMatch(new RegExp(`^${P}/bk/dst: rpo \\d+s$`));
    expect(r.perf.behind?.value).toBe(0);
    expect(r.perf.rpo).toMatchObject({ uom: 's', warn: '30', crit: '120' });
    expect(r.lines).toContain('  newest common @a (guid ' + (await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${P}/src@a`)) + ')');
  });

  test('behind: snapshots the replica lacks are counted; the age crosses -w then -c (exit 1, then 2)', async () => {
    await zfs('snapshot', `${P}/src@b`);
    await zfs('snapshot', `${P}/src@c`);
    await sleep(2100);
    const w = await rpo(`${P}/src`, `${P}/bk/dst`, '-w', '1s', '-c', '1h');
    expect([w.state, w.code, w.perf.behind?.value]).toEqual(['WARNING', 1, 2]);
    expect(w.perf.rpo?.value).toBeGreaterThanOrEqual(2);
    expect(w.summary).toMatch(/rpo \d+s \(above 1s\), 2 snapshots behind$/);
    const c = await rpo(`${P}/src`, `${P}/bk/dst`, '-w', '1s', '-c', '~:1');
    expect([c.state, c.code]).toEqual(['CRITICAL', 2]);
  });

  test('GUIDs, not names: a replica snapshot named like the source newest does not count as replicated', async () => {
    // Keep the source's newest name on the replica, but a different snapshot (different GUID).
    await zfs('snapshot', `${P}/bk/dst@c`);
    const r = await rpo(`${P}/src`, `${P}/bk/dst`, '-w', '1h', '-c', '2h');
    expect(r.lines).toContain(`  newest common @a (guid ${await zfs('get', '-H', '-p', '-o', 'value', 'guid', `${P}/src@a`)})`);
    expect(r.perf.behind?.value).toBe(2);
    await zfs('destroy', `${P}/bk/dst@c`);
  });

  test('recursive and fan-out: every dataset of every target is named; a missing one is CRITICAL', async () => {
    await zfs('create', `${P}/bk2`);
    await send([`${P}/src@a`], [`${P}/bk2/dst`]); // no child on this target
    const r = await rpo('-r', `${P}/src`, `${P}/bk/dst`, `${P}/bk2/dst`, '-w', '1h', '-c', '2h');
    expect([r.state, r.code]).toEqual(['CRITICAL', 2]);
    expect(r.summary).toBe(`1 of 4 datasets CRITICAL: ${P}/bk2/dst/child one: not replicated (target dataset missing)`);
    const named = r.lines
      .slice(1)
      .filter((l) => /^(OK|WARNING|CRITICAL|UNKNOWN): /.test(l))
      .map((l) => l.split(': ')[1]);
    expect(named.sort()).toEqual([`${P}/bk/dst`, `${P}/bk/dst/child one`, `${P}/bk2/dst`, `${P}/bk2/dst/child one`].sort());
    expect(r.perf.behind?.value).toBe(2);
  });

  test('source down: UNKNOWN with the reason while the replica could still be fresh; CRITICAL once even its newest snapshot is too old', async () => {
    const down = `root@127.0.0.1:1:${P}/src`;
    const u = await rpo(down, `${P}/bk/dst`, '-w', '1h', '-c', '2h');
    expect([u.state, u.code]).toEqual(['UNKNOWN', 3]);
    expect(u.summary).toMatch(/unreadable: .*127\.0\.0\.1.*(refused|unreachable)/i);
    const c = await rpo(down, `${P}/bk/dst`, '-w', '1s', '-c', '1s');
    expect([c.state, c.code]).toEqual(['CRITICAL', 2]);
    expect(c.summary).toMatch(/rpo at least \d+s \(newest replica snapshot\)/);
  });

  test('a dataset name that does not exist on the source is UNKNOWN, never OK', async () => {
    const r = await rpo(`${P}/nosuch`, `${P}/bk/dst`);
    expect([r.state, r.code]).toEqual(['UNKNOWN', 3]);
    expect(r.summary).toBe(`${P}/bk/dst: source ${P}/nosuch does not exist`);
  });

  describe.skipIf(sshdUnavailableReason())(
    `from the replica, source over ssh${sshdUnavailableReason() ? ` (skipped: ${sshdUnavailableReason()})` : ''}`,
    () => {
      let sshd: TestSshd;
      beforeAll(async () => {
        sshd = await startSshd();
      });
      afterAll(async () => {
        await sshd?.stop();
      });
      test('--timeout over ssh: UNKNOWN at the deadline, and no ssh client of the check is left running', async () => {
        const bin = `${TEST_ROOT}/${uniqueName('hangzfs-')}`;
        mkdirSync(bin, { recursive: true });
        writeFileSync(`${bin}/zfs`, '#!/bin/sh\nexec sleep 41.75\n', { mode: 0o755 });
        const hung = await startSshd({ sessionPath: `${bin}:/usr/bin:/bin` });
        try {
          const t0 = Date.now();
          let firstLineAt = 0;
          const p = execa(`${ROOT}bin/check_zfs_rpo`, [hung.side(`${P}/src`), `${P}/bk/dst`, ...hung.cliArgs, '-t', '2', '--state-dir', `${STATE}-hung`], {
            reject: false,
            env: { PATH: '/usr/bin:/bin' },
          });
          p.stdout?.once('data', () => (firstLineAt = Date.now() - t0));
          const r = await p;
          expect([r.exitCode, r.stdout.split('\n')[0]]).toEqual([3, 'UNKNOWN: timed out after 2s']);
          // The remote zfs hangs 41.75 s: a line well before that proves -t cut it. Not a speed bound (3.5 s
          // failed at load 17 on 2 cores, where node's own start-up took seconds).
          expect(firstLineAt).toBeLessThan(20_000);
          const clients = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
            .split('\n')
            .filter((l) => l.includes('ControlMaster=no') && l.includes(`-p ${hung.port} `));
          expect(clients).toEqual([]);
        } finally {
          await hung.stop();
          rmSync(bin, { recursive: true, force: true });
          // The remote `zfs` (here: sleep) is not signalled when its ssh client dies (a known gap of the ssh
          // runner): end the ones this test's sshd started, by pid.
          for (const line of execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')) {
            const m = /^\s*(\d+) sleep 41\.75$/.exec(line);
            if (m) process.kill(Number(m[1]), 'SIGTERM');
          }
        }
      });

      test('same answer as locally, through one ssh listing', async () => {
        const r = await rpo(sshd.side(`${P}/src`), `${P}/bk/dst`, ...sshd.cliArgs, '-w', '1h', '-c', '2h');
        expect([r.state, r.perf.behind?.value]).toEqual(['OK', 2]);
        expect(r.summary).toMatch(/2 snapshots behind/);
      });
    },
  );
});
