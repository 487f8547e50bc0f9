// The Icinga 2 CheckCommand definitions of docs/nagios-icinga.md in a real Icinga 2 daemon (icinga2-bin,
// private config and directories): Icinga builds the command lines from the definitions, runs the built
// check_zfs_* plugins against a zfs-fuse replica, maps their exit codes to states and stores the perfdata it
// parsed (PerfdataWriter). One job is in sync, one diverged.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, createPool, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const icingaReason = existsSync('/usr/sbin/icinga2') ? null : 'icinga2-bin is not installed';
const reason = zfsFuseUnavailableReason() ?? icingaReason ?? cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('ckicinga-')}`;

/** The ```icinga2 block of the docs, pointed at this checkout. */
const docCommands = (): string => {
  const doc = readFileSync(`${ROOT}docs/nagios-icinga.md`, 'utf8');
  const m = /```icinga2\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('no ```icinga2 block in docs/nagios-icinga.md');
  return (m[1] as string).replaceAll('/usr/local/bin/', `${ROOT}bin/`);
};

interface Result {
  readonly state: string;
  readonly output: string;
  readonly perfdata: string;
}

describe.skipIf(reason)(`Icinga 2 runs the documented CheckCommands${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let daemon: ChildProcess | undefined;
  let P: string;
  const results = new Map<string, Result>();

  // Records are one per check result; the output (last field) may continue on further lines (long output),
  // which carry no SERVICEDESC and are skipped.
  const collect = (): void => {
    const dir = `${DIR}/var/spool/perfdata`;
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      for (const line of readFileSync(`${dir}/${f}`, 'utf8').split('\n')) {
        const fields = Object.fromEntries(line.split('\t').map((kv) => [kv.slice(0, kv.indexOf('::')), kv.slice(kv.indexOf('::') + 2)]));
        if (fields.SERVICEDESC) results.set(fields.SERVICEDESC, { state: fields.SERVICESTATE ?? '', output: (fields.SERVICEOUTPUT ?? '').trimEnd(), perfdata: fields.SERVICEPERFDATA ?? '' });
      }
    }
  };
  const waitFor = async (names: string[], timeoutMs = 90_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      collect();
      if (names.every((n) => results.has(n))) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`no results for ${names.filter((n) => !results.has(n)).join(', ')}; log: ${readFileSync(`${DIR}/daemon.log`, 'utf8').slice(-3000)}`);
  };

  beforeAll(async () => {
    pool = await createPool('ckici');
    P = pool.name;
    for (const d of ['var/cache/icinga2', 'var/lib/icinga2', 'var/log/icinga2', 'var/spool/perfdata', 'var/spool/tmp', 'run/icinga2']) mkdirSync(`${DIR}/${d}`, { recursive: true });
    for (const ds of ['good', 'bad']) {
      await zfs('create', `${P}/${ds}`);
      await zfs('snapshot', `${P}/${ds}@a`);
      await execa('bash', ['-c', `zfs send ${P}/${ds}@a | zfs recv ${P}/${ds}-replica`]);
    }
    await zfs('snapshot', `${P}/bad@b`);
    await zfs('snapshot', `${P}/bad-replica@x`);
    const config = `${DIR}/zfailover.yml`;
    writeFileSync(config, `version: 1\nstate_dir: ${DIR}/state\njobs:\n  good:\n    source: ${P}/good\n    targets: [${P}/good-replica]\n  bad:\n    source: ${P}/bad\n    targets: [${P}/bad-replica]\n`, { mode: 0o600 });
    const sync = await execa(`${ROOT}bin/zfailover`, ['--config', config, 'sync', '--job', 'good'], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    expect(sync.exitCode, sync.stdout).toBe(0);
    const service = (name: string, command: string, vars: string): string =>
      `object Service "${name}" { host_name = "zfo"; check_command = "${command}"; check_interval = 2s; retry_interval = 2s; vars.zfs_config = "${config}"; ${vars} }`;
    writeFileSync(
      `${DIR}/icinga2.conf`,
      [
        docCommands(),
        'object CheckerComponent "checker" { }',
        `object PerfdataWriter "perfdata" {`,
        `  service_perfdata_path = "${DIR}/var/spool/perfdata/service"`,
        `  host_perfdata_path = "${DIR}/var/spool/perfdata/host"`,
        `  service_temp_path = "${DIR}/var/spool/tmp/service"`,
        `  host_temp_path = "${DIR}/var/spool/tmp/host"`,
        '  service_format_template = "SERVICEDESC::$service.name$\\tSERVICESTATE::$service.state$\\tSERVICEPERFDATA::$service.perfdata$\\tSERVICEOUTPUT::$service.output$"',
        '  rotation_interval = 1s',
        '}',
        'object CheckCommand "zfo-host" { command = [ "/bin/true" ] }',
        'object Host "zfo" { check_command = "zfo-host"; check_interval = 1h }',
        service('rpo', 'zfs_rpo', 'vars.zfs_job = "good"; vars.zfs_warning = "1h"; vars.zfs_critical = "2h"'),
        service('divergence-good', 'zfs_divergence', 'vars.zfs_job = "good"'),
        service('divergence-bad', 'zfs_divergence', 'vars.zfs_job = "bad"'),
        service('job', 'zfs_job', 'vars.zfs_job = "good"; vars.zfs_warning = "1h"; vars.zfs_critical = "2h"'),
        service('health', 'zfs_health', `vars.zfs_pools = [ "${P}" ]`),
        service('capacity', 'zfs_capacity', `vars.zfs_pools = [ "${P}" ]; vars.zfs_warning = "80"; vars.zfs_critical = "90"`),
        '',
      ].join('\n'),
    );
    const args = ['daemon', '-c', `${DIR}/icinga2.conf`, `-DLocalStateDir=${DIR}/var`, `-DRunDir=${DIR}/run`, '-DRunAsUser=root', '-DRunAsGroup=root'];
    const check = await execa('icinga2', [...args, '-C'], { reject: false });
    expect(check.exitCode, check.stdout.slice(-2000)).toBe(0);
    const log = `${DIR}/daemon.log`;
    writeFileSync(log, '');
    // Its own process group, so the daemon and its helper processes can be stopped together.
    daemon = spawn('/bin/sh', ['-c', `exec icinga2 ${args.map((a) => `'${a}'`).join(' ')} >> '${log}' 2>&1`], { detached: true, stdio: 'ignore', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
  });
  afterAll(async () => {
    if (daemon?.pid) {
      try {
        process.kill(-daemon.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await pool?.destroy();
    // The killed daemon's workers may still be finishing a perfdata file: retry the removal.
    rmSync(DIR, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  test('every service gets a state from the exit code and perfdata Icinga parsed', async () => {
    await waitFor(['rpo', 'divergence-good', 'divergence-bad', 'job', 'health', 'capacity']);
    const r = (n: string): Result => results.get(n) as Result;
    expect(r('rpo')).toMatchObject({ state: 'OK', output: expect.stringMatching(new RegExp(`^OK: job good: ${P}/good-replica: rpo \\d+s`)) });
    expect(r('rpo').perfdata).toMatch(/^rpo=\d+s;3600;7200;0 behind=0;;;0 pending=0B;;;0$/);
    expect(r('divergence-good')).toMatchObject({ state: 'OK', perfdata: 'in_sync=1;;;0 behind=0;;;0 conflicts=0;;;0' });
    expect(r('divergence-bad')).toMatchObject({ state: 'CRITICAL', output: expect.stringMatching(/^CRITICAL: job bad: .*: diverged: /), perfdata: 'in_sync=0;;;0 behind=0;;;0 conflicts=1;;;0' });
    expect(r('job')).toMatchObject({ state: 'OK', perfdata: expect.stringMatching(/^last_success=\d+s;3600;7200;0 failures=0;;;0$/) });
    expect(r('health')).toMatchObject({ state: 'OK', output: `OK: ${P}: ONLINE`, perfdata: 'pools=1;;;0 unhealthy=0;;;0 vdev_errors=0;;;0' });
    expect(r('capacity')).toMatchObject({ state: 'OK', perfdata: expect.stringMatching(new RegExp(`^${P}=\\d+%;80;90;0;100$`)) });
  });
});
