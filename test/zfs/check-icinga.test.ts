// The Icinga 2 blocks of docs/nagios-icinga.md, verbatim but for the install paths, in a real Icinga 2 daemon
// (icinga2-bin, private config and directories, a master zone and an agent zone as in an agent setup): the
// CheckCommands (through sudo, as documented for Debian's icinga2) and the apply rules create the services
// from host variables; `icinga2 daemon -C` validates them, also for a host behind an agent (command_endpoint).
// Forced checks then run the built check_zfs_* plugins against a zfs-fuse replica; Icinga maps the exit codes
// to OK, WARNING, CRITICAL and UNKNOWN and stores the perfdata it parsed (PerfdataWriter).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, createPool, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const icingaReason = existsSync('/usr/sbin/icinga2') ? null : 'icinga2-bin is not installed';
const reason = zfsFuseUnavailableReason() ?? icingaReason ?? cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('ckicinga-')}`;

/** Every ```icinga2 block of the docs, in order, pointed at this checkout. */
const docBlocks = (): string => {
  const doc = readFileSync(`${ROOT}docs/nagios-icinga.md`, 'utf8');
  const blocks = [...doc.matchAll(/```icinga2\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  if (blocks.length < 2) throw new Error('expected the CheckCommand and the apply rule ```icinga2 blocks in docs/nagios-icinga.md');
  return blocks.join('\n').replaceAll('/usr/local/bin/', `${ROOT}bin/`);
};

interface Result {
  readonly state: string;
  readonly output: string;
  readonly perfdata: string;
}

describe.skipIf(reason)(`Icinga 2 runs the documented CheckCommands and apply rules${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let daemon: ChildProcess | undefined;
  let P: string;
  const results = new Map<string, Result>();
  const ARGS = (): string[] => [
    'daemon',
    '-c',
    `${DIR}/icinga2.conf`,
    `-DLocalStateDir=${DIR}/var`,
    `-DRunDir=${DIR}/run`,
    '-DRunAsUser=root',
    '-DRunAsGroup=root',
  ];

  // Records are one per check result (`host!service`); the output (last field) may continue on further lines
  // (long output), which carry no SERVICEDESC and are skipped.
  const collect = (): void => {
    const dir = `${DIR}/var/spool/perfdata`;
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      for (const line of readFileSync(`${dir}/${f}`, 'utf8').split('\n')) {
        const fields = Object.fromEntries(line.split('\t').map((kv) => [kv.slice(0, kv.indexOf('::')), kv.slice(kv.indexOf('::') + 2)]));
        if (fields.SERVICEDESC)
          results.set(`${fields.HOSTNAME}!${fields.SERVICEDESC}`, {
            state: fields.SERVICESTATE ?? '',
            output: (fields.SERVICEOUTPUT ?? '').trimEnd(),
            perfdata: fields.SERVICEPERFDATA ?? '',
          });
      }
    }
  };
  // The apply rules' intervals are minutes: force each check through the external command pipe, as an
  // operator's "check now" does, and wait for its result.
  const force = (names: string[]): void => {
    const now = Math.floor(Date.now() / 1000);
    appendFileSync(`${DIR}/run/icinga2/cmd/icinga2.cmd`, names.map((n) => `[${now}] SCHEDULE_FORCED_SVC_CHECK;${n.replace('!', ';')};${now}\n`).join(''));
  };
  const waitFor = async (names: string[], timeoutMs = 120_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    let forced = 0;
    while (Date.now() < until) {
      collect();
      if (names.every((n) => results.has(n))) return;
      if (existsSync(`${DIR}/run/icinga2/cmd/icinga2.cmd`) && Date.now() - forced > 10_000) {
        force(names.filter((n) => !results.has(n)));
        forced = Date.now();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`no results for ${names.filter((n) => !results.has(n)).join(', ')}; log: ${readFileSync(`${DIR}/daemon.log`, 'utf8').slice(-3000)}`);
  };

  beforeAll(async () => {
    pool = await createPool('ckici');
    P = pool.name;
    for (const d of ['var/cache/icinga2', 'var/lib/icinga2', 'var/log/icinga2', 'var/spool/perfdata', 'var/spool/tmp', 'run/icinga2/cmd', 'zones.d/master'])
      mkdirSync(`${DIR}/${d}`, { recursive: true });
    for (const ds of ['good', 'bad']) {
      await zfs('create', `${P}/${ds}`);
      await zfs('snapshot', `${P}/${ds}@a`);
      await execa('bash', ['-c', `zfs send ${P}/${ds}@a | zfs recv ${P}/${ds}-replica`]);
    }
    await zfs('snapshot', `${P}/bad@b`);
    await zfs('snapshot', `${P}/bad-replica@x`);
    const yml = (name: string, capacity: string): string => {
      const file = `${DIR}/${name}.yml`;
      writeFileSync(
        file,
        `version: 1\nstate_dir: ${DIR}/state\njobs:\n  good:\n    source: ${P}/good\n    targets: [${P}/good-replica]\n  bad:\n    source: ${P}/bad\n    targets: [${P}/bad-replica]\n` +
          `snapshots:\n  - dataset: ${P}/good\n    schedules: {frequent: {every: 15m, keep: 1}}\n` +
          `checks:\n  capacity: ${capacity}\n  job: {warning: 1h, critical: 2h}\n`,
        { mode: 0o600 },
      );
      return file;
    };
    const config = yml('zfailover', `{warning: '100', critical: '100'}`);
    const warn = yml('warn', `{warning: '@0:100', critical: '100'}`);
    const broken = `${DIR}/broken.yml`;
    writeFileSync(broken, 'version: 1\njobs: [not, a, map]\n', { mode: 0o600 });
    for (const args of [['snapshot'], ['sync', '--job', 'good']]) {
      const r = await execa(`${ROOT}bin/zfailover`, ['--config', config, ...args], { reject: false, env: { PATH: '/usr/bin:/bin' } });
      expect(r.exitCode, r.stdout).toBe(0);
    }
    // Test scaffolding around the documented blocks: the checker, the perfdata writer, the command pipe and
    // the hosts, with the checks run by this node.
    const hosts = [
      'object CheckCommand "zfo-host" { command = [ "/bin/true" ] }',
      `object Host "zfo" { check_command = "zfo-host"; check_interval = 1h; vars.zfailover_jobs = [ "good", "bad" ]; vars.zfs_pools = [ "${P}" ]; vars.zfs_config = "${config}" }`,
      `object Host "warn" { check_command = "zfo-host"; check_interval = 1h; vars.zfs_pools = [ "${P}" ]; vars.zfs_config = "${warn}" }`,
      `object Host "broken" { check_command = "zfo-host"; check_interval = 1h; vars.zfs_pools = [ "${P}" ]; vars.zfs_config = "${broken}" }`,
    ];
    writeFileSync(`${DIR}/zfailover.conf`, `${docBlocks()}\n${hosts.join('\n')}\n`);
    writeFileSync(
      `${DIR}/icinga2.conf`,
      [
        'object CheckerComponent "checker" { }',
        `object ExternalCommandListener "command" { command_path = "${DIR}/run/icinga2/cmd/icinga2.cmd" }`,
        `object PerfdataWriter "perfdata" {`,
        `  service_perfdata_path = "${DIR}/var/spool/perfdata/service"`,
        `  host_perfdata_path = "${DIR}/var/spool/perfdata/host"`,
        `  service_temp_path = "${DIR}/var/spool/tmp/service"`,
        `  host_temp_path = "${DIR}/var/spool/tmp/host"`,
        '  service_format_template = "HOSTNAME::$host.name$\\tSERVICEDESC::$service.name$\\tSERVICESTATE::$service.state$\\tSERVICEPERFDATA::$service.perfdata$\\tSERVICEOUTPUT::$service.output$"',
        '  rotation_interval = 1s',
        '}',
        `include "${DIR}/zfailover.conf"`,
        '',
      ].join('\n'),
    );
    // The agent setup, validated only: this node as the master zone, the same blocks in its zone directory
    // (as zones.d/global-templates would give them), and a host whose checks go to agent1's endpoint.
    // The documented host example (```icinga2-host, verbatim) is such a host too; its hostalive is in the ITL plugins.
    const hostExample = [...readFileSync(`${ROOT}docs/nagios-icinga.md`, 'utf8').matchAll(/```icinga2-host\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(hostExample).toHaveLength(1);
    writeFileSync(
      `${DIR}/zones.d/master/zfailover.conf`,
      `${docBlocks()}\n${hosts[0]}\nobject Host "remote" { check_command = "zfo-host"; vars.agent_endpoint = "agent1"; vars.zfailover_jobs = [ "data" ]; vars.zfs_pools = [ "tank" ] }\n${hostExample[0]}`,
    );
    writeFileSync(
      `${DIR}/agent.conf`,
      [
        'const PluginDir = "/usr/lib/nagios/plugins"', // Debian's constants.conf
        'include <itl>',
        'include <plugins>',
        'object Endpoint NodeName { }',
        'object Zone "master" { endpoints = [ NodeName ] }',
        ...['agent1', 'server2'].flatMap((a) => [`object Endpoint "${a}" { }`, `object Zone "${a}" { endpoints = [ "${a}" ]; parent = "master" }`]),
        `include_zones "zfailover-test", "${DIR}/zones.d"`,
        '',
      ].join('\n'),
    );
    const check = await execa('icinga2', [...ARGS(), '-C', '-x', 'notice'], { reject: false });
    expect(check.exitCode, check.stdout.slice(-2000)).toBe(0);
    const log = `${DIR}/daemon.log`;
    writeFileSync(log, '');
    // Its own process group, so the daemon and its helper processes can be stopped together.
    daemon = spawn(
      '/bin/sh',
      [
        '-c',
        `exec icinga2 ${ARGS()
          .map((a) => `'${a}'`)
          .join(' ')} >> '${log}' 2>&1`,
      ],
      { detached: true, stdio: 'ignore', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } },
    );
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

  test("icinga2 daemon -C: the apply rules create every service, the agent host's with its command_endpoint", async () => {
    // The agent host's services validate only because their command_endpoint has a zone (agent1's); the
    // same rules without the if () would fail -C for it ("Checkable with command endpoint requires a zone").
    const agent = await execa(
      'icinga2',
      ['daemon', '-c', `${DIR}/agent.conf`, `-DLocalStateDir=${DIR}/var`, `-DRunDir=${DIR}/run`, '-DRunAsUser=root', '-DRunAsGroup=root', '-C'],
      { reject: false },
    );
    expect(agent.exitCode, agent.stdout.slice(-2000)).toBe(0);
    // remote: 4 rules per job + health + capacity; server2 (the documented host): the same.
    expect(agent.stdout).toMatch(/Instantiated 12 Services/);
    const local = await execa('icinga2', [...ARGS(), '-C'], { reject: false });
    // zfo: 4 per job x 2 jobs + health + capacity; warn and broken: health + capacity.
    expect(local.stdout).toMatch(/Instantiated 14 Services/);
  });

  test('every service gets a state from the exit code (OK, WARNING, CRITICAL, UNKNOWN) and perfdata Icinga parsed', async () => {
    await waitFor([
      'zfo!zfs-rpo-good',
      'zfo!zfs-divergence-good',
      'zfo!zfs-divergence-bad',
      'zfo!zfs-job-good',
      'zfo!zfs-gaps-good',
      'zfo!zfs-health',
      'zfo!zfs-capacity',
      'warn!zfs-capacity',
      'broken!zfs-health',
    ]);
    const r = (n: string): Result => results.get(n) as Result;
    expect(r('zfo!zfs-rpo-good')).toMatchObject({ state: 'OK', output: expect.stringMatching(new RegExp(`^OK: job good: ${P}/good-replica: rpo \\d+s`)) });
    expect(r('zfo!zfs-rpo-good').perfdata).toMatch(/^rpo=\d+s;30;120;0 behind=0;;;0 pending=0B;;;0$/);
    expect(r('zfo!zfs-divergence-good')).toMatchObject({ state: 'OK', perfdata: 'in_sync=1;;;0 behind=0;;;0 conflicts=0;;;0' });
    expect(r('zfo!zfs-divergence-bad')).toMatchObject({
      state: 'CRITICAL',
      output: expect.stringMatching(/^CRITICAL: job bad: .*: diverged: /),
      perfdata: 'in_sync=0;;;0 behind=0;;;0 conflicts=1;;;0',
    });
    expect(r('zfo!zfs-job-good')).toMatchObject({ state: 'OK', perfdata: expect.stringMatching(/^last_success=\d+s;3600;7200;0 failures=0;;;0$/) });
    expect(r('zfo!zfs-gaps-good')).toMatchObject({ state: 'OK', perfdata: expect.stringMatching(/^missing=0;0;;0 over=0;;;0 future=0;;;0 expected=\d+;;;0$/) });
    expect(r('zfo!zfs-health')).toMatchObject({ state: 'OK', output: `OK: ${P}: ONLINE`, perfdata: 'pools=1;;;0 unhealthy=0;;;0 vdev_errors=0;;;0' });
    expect(r('zfo!zfs-capacity')).toMatchObject({ state: 'OK', perfdata: expect.stringMatching(new RegExp(`^${P}=\\d+%;100;100;0;100`)) });
    expect(r('warn!zfs-capacity')).toMatchObject({
      state: 'WARNING',
      output: expect.stringMatching(/^WARNING: /),
      perfdata: expect.stringMatching(new RegExp(`^${P}=\\d+%;@100;100;0;100`)),
    });
    expect(r('broken!zfs-health')).toMatchObject({ state: 'UNKNOWN', output: expect.stringMatching(/^UNKNOWN: .*broken\.yml/) });
  }, 180_000);
});
