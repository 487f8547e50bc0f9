// Checks without root (issue 12, least privilege), as docs/nagios-icinga.md "Checks without root" says: the
// monitoring user runs check_zfs_job from a state dir and config opened to its group, with no sudo; and on
// OpenZFS every read the ZFS checks make works for an unprivileged uid (non-root-checks-guest.openzfs.test.ts). zfs-fuse serves
// only root (its socket dir is 0700): there a check that calls zfs needs sudo, and says so in one line.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, ROOT, runCli, STATUS_LINE } from '../helpers/cli.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
const nagios = passwd.find((l) => l.startsWith('nagios:'))?.split(':');
const skipLocal = (): string | null => {
  if (process.getuid?.() !== 0) return 'needs root to prepare the state dir for another user';
  if (!existsSync('/usr/bin/setpriv')) return 'util-linux setpriv missing';
  if (!nagios) return 'no nagios user (nagios4 creates it)';
  return zfsFuseUnavailableReason() ?? cliBuilt();
};
const localSkip = skipLocal();

/** Run a plugin as the nagios user, no sudo, with a clean environment. */
const asNagios = async (plugin: string, args: readonly string[]) => {
  const r = await execa('setpriv', ['--reuid=nagios', '--regid=nagios', '--init-groups', '--', `${ROOT}bin/${plugin}`, ...args], {
    reject: false,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent' },
    extendEnv: false,
    timeout: 120_000,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, line: r.stdout.split('\n')[0] ?? '' };
};

describe.skipIf(localSkip !== null)(`checks as the nagios user without sudo${localSkip ? ` (skipped: ${localSkip})` : ''}`, () => {
  let pool: TestPool;
  const dir = `${TEST_ROOT}/${uniqueName('nonroot-')}`;
  const stateDir = `${dir}/state`;
  const config = `${dir}/zfailover.yml`;
  const gid = Number(nagios?.[3]);

  beforeAll(async () => {
    pool = await createPool('zfonr');
    await zfs('create', `${pool.name}/data`);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o755);
    writeFileSync(
      config,
      `version: 1\nstate_dir: ${stateDir}\njobs:\n  data:\n    source: ${pool.name}/data\n    targets: [{ name: standby, dataset: ${pool.name}/copy }]\n`,
      { mode: 0o600 },
    );
    const r = await runCli(['--config', config, 'sync', '--job', 'data']);
    expect(r.code, r.stdout).toBe(0);
    // The docs' commands, verbatim but for the two paths: config and job states readable by the group.
    const snippet = /```sh\n(# open the job state to the nagios group[^\n]*\n[\s\S]*?)```/.exec(readFileSync(`${ROOT}docs/nagios-icinga.md`, 'utf8'))?.[1];
    expect(snippet, 'docs/nagios-icinga.md: the "open the job state" block').toBeDefined();
    const sh = snippet!.replaceAll('/etc/zfailover/zfailover.yml', config).replaceAll('/var/lib/zfailover', stateDir);
    const opened = await execa('sh', ['-ec', sh], { reject: false });
    expect(opened.exitCode, opened.stderr).toBe(0);
    // The next sync writes the job state anew (random name, rename): it must stay readable by the group.
    await zfs('snapshot', `${pool.name}/data@between`);
    const again = await runCli(['--config', config, 'sync', '--job', 'data']);
    expect(again.code, again.stdout).toBe(0);
    for (const f of readdirSync(`${stateDir}/jobs`)) expect(statSync(`${stateDir}/jobs/${f}`).gid, f).toBe(gid);
  });
  afterAll(async () => {
    await pool?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check_zfs_job --no-zfs reads the job state as nagios: OK, one status line, nothing written', async () => {
    const before = readdirSync(stateDir).sort();
    const r = await asNagios('check_zfs_job', ['--config', config, '--job', 'data', '--no-zfs']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.line).toMatch(STATUS_LINE);
    expect(r.line).toMatch(/^OK: job data/);
    expect(r.stderr).toBe('');
    expect(readdirSync(stateDir).sort()).toEqual(before);
  });

  it('on zfs-fuse a check that calls zfs says in one line that it cannot reach ZFS (use the sudo rule there)', async () => {
    const r = await asNagios('check_zfs_health', ['--config', config, pool.name]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout.trim().split('\n')[0]).toMatch(/^UNKNOWN: no usable zfs command on local: .*permission denied/i);
    expect(r.line.length).toBeLessThan(300);
  });

  it('a job state the group cannot read is one UNKNOWN line naming the file, not a stack trace', async () => {
    const f = readdirSync(`${stateDir}/jobs`)[0]!;
    chmodSync(`${stateDir}/jobs/${f}`, 0o600);
    try {
      const r = await asNagios('check_zfs_job', ['--config', config, '--job', 'data', '--no-zfs']);
      expect(r.code).toBe(3);
      expect(r.line).toMatch(/^UNKNOWN: .*permission denied/);
      expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      chmodSync(`${stateDir}/jobs/${f}`, 0o640);
    }
  });
});
