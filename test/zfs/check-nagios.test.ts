// The Nagios, NRPE and sudoers snippets of docs/nagios-icinga.md, verbatim but for the install paths (bin,
// config file, pool) and NRPE's port, in the real clients (Debian nagios4 4.4.6, nagios-nrpe-server and
// -plugin 4.1.0, private configs and directories on 127.0.0.1, never the system services): `visudo -c`
// accepts the sudoers line and it names every check_zfs_* plugin; `nagios4 -v` accepts the object
// definitions (service names included: Nagios' illegal_object_name_chars are Debian's); Nagios then runs every
// documented service, through NRPE and directly, on forced checks, and status.dat holds the state, output and
// perfdata for OK, WARNING, CRITICAL (capacity thresholds from the config) and UNKNOWN (a broken config).
//
// ZFO_TEST_DEB_ROOT: where the Debian packages' files are, when they were unpacked (dpkg-deb -x) rather than
// installed (a machine whose dpkg is busy); default /, the installed packages.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { TEST_ROOT, createPool, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';
import { freePort } from '../helpers/ports.js';

const DEB = (process.env.ZFO_TEST_DEB_ROOT ?? '').replace(/\/$/, '');
const NAGIOS = `${DEB}/usr/sbin/nagios4`;
const NRPE = `${DEB}/usr/sbin/nrpe`;
const PLUGINS = `${DEB}/usr/lib/nagios/plugins`;
const missing = [NAGIOS, NRPE, `${PLUGINS}/check_nrpe`, '/usr/sbin/visudo', '/usr/bin/sudo', '/etc/sudoers.d'].filter((f) => !existsSync(f));
const noNagiosUser = ((): boolean => {
  try {
    return execFileSync('getent', ['passwd', 'nagios'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === '';
  } catch {
    return true;
  }
})();
const reason =
  zfsFuseUnavailableReason() ??
  (missing.length ? `not installed: ${missing.join(', ')} (apt-get install nagios4-core nagios-nrpe-server nagios-nrpe-plugin sudo)` : null) ??
  (noNagiosUser ? 'no nagios user (the packages create it)' : null) ??
  cliBuilt();
const DIR = `${TEST_ROOT}/${uniqueName('cknagios-')}`;

const DOC = (): string => readFileSync(`${ROOT}docs/nagios-icinga.md`, 'utf8');
const blocks = (lang: string): string[] => [...DOC().matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

/** A free TCP port on 127.0.0.1 (NRPE needs a fixed one in its config). */
interface ServiceStatus {
  readonly state: number;
  readonly output: string;
  readonly perfdata: string;
  readonly lastCheck: number;
}

/** servicestatus blocks of status.dat, by `host;description`. */
const parseStatus = (text: string): Map<string, ServiceStatus> => {
  const out = new Map<string, ServiceStatus>();
  for (const m of text.matchAll(/servicestatus \{\n([\s\S]*?)\n\t\}/g)) {
    const f = Object.fromEntries(
      (m[1] as string).split('\n').map((l) => [l.trim().slice(0, l.trim().indexOf('=')), l.trim().slice(l.trim().indexOf('=') + 1)]),
    );
    out.set(`${f.host_name};${f.service_description}`, {
      state: Number(f.current_state),
      output: f.plugin_output ?? '',
      perfdata: f.performance_data ?? '',
      lastCheck: Number(f.last_check),
    });
  }
  return out;
};

describe.skipIf(reason)(`Nagios and NRPE run the documented definitions${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let P: string;
  let config: string;
  let nrpe: ChildProcess | undefined;
  let nagios: ChildProcess | undefined;
  let objects: string;
  const services: string[] = [];
  const writeConfig = (capacity: string): void => {
    writeFileSync(
      config,
      `version: 1\nstate_dir: ${DIR}/state\njobs:\n  data:\n    source: ${P}/src\n    targets: [${P}/bk/dst]\n` +
        `snapshots:\n  - dataset: ${P}/src\n    schedules: {frequent: {every: 15m, keep: 1}}\n` +
        `checks:\n  capacity: ${capacity}\n`,
      { mode: 0o600 },
    );
  };
  // Under sudo (NRPE) a plugin accepts only the default config path: those lines keep it verbatim, and NRPE runs
  // in a private mount namespace where /etc/zfailover is the test's directory (see beforeAll). Nagios' direct
  // checks run as root without sudo and name the test's config.
  const sudoPaths = (text: string): string => text.replaceAll('/usr/local/bin/', `${ROOT}bin/`).replace(/([ !])tank\b/g, `$1${P}`);
  const paths = (text: string): string => sudoPaths(text).replaceAll('/etc/zfailover/zfailover.yml', config);

  const status = (): Map<string, ServiceStatus> =>
    existsSync(`${DIR}/var/status.dat`) ? parseStatus(readFileSync(`${DIR}/var/status.dat`, 'utf8')) : new Map();
  /** Forces a check of each service now and waits until status.dat has a result newer than the force. */
  const check = async (names: readonly string[], timeoutMs = 120_000): Promise<Map<string, ServiceStatus>> => {
    const since = Math.floor(Date.now() / 1000);
    const until = Date.now() + timeoutMs;
    let forced = 0;
    for (;;) {
      const s = status();
      if (names.every((n) => (s.get(n)?.lastCheck ?? 0) >= since + 1)) return s;
      if (Date.now() > until)
        throw new Error(
          `no fresh results for ${names.filter((n) => (s.get(n)?.lastCheck ?? 0) < since + 1).join(', ')}; log:\n${readFileSync(`${DIR}/var/nagios.log`, 'utf8').slice(-3000)}`,
        );
      // Nagios creates the command pipe once it runs; writing before that would create a plain file.
      if (Date.now() - forced > 10_000 && existsSync(`${DIR}/rw/nagios.cmd`) && statSync(`${DIR}/rw/nagios.cmd`).isFIFO()) {
        const now = Math.max(Math.floor(Date.now() / 1000), since + 1);
        appendFileSync(`${DIR}/rw/nagios.cmd`, names.map((n) => `[${now}] SCHEDULE_FORCED_SVC_CHECK;${n};${now}\n`).join(''));
        forced = Date.now();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    pool = await createPool('cknag');
    P = pool.name;
    for (const d of ['var', 'spool/checkresults', 'rw', 'nrpe.d']) mkdirSync(`${DIR}/${d}`, { recursive: true });
    mkdirSync(`${DIR}/etcz`, { mode: 0o700 });
    mkdirSync(`${DIR}/ns/etc`, { recursive: true });
    mkdirSync(`${DIR}/ns/etc-work`, { recursive: true });
    config = `${DIR}/etcz/zfailover.yml`;
    writeConfig(`{warning: '100', critical: '100'}`);
    await zfs('create', `${P}/src`);
    await zfs('create', `${P}/bk`);
    for (const args of [['snapshot'], ['sync', '--job', 'data']]) {
      const r = await execa(`${ROOT}bin/zfailover`, ['--config', config, ...args], { reject: false, env: { PATH: '/usr/bin:/bin' } });
      expect(r.exitCode, r.stdout).toBe(0);
    }

    // NRPE: a private daemon on a free port, its command lines the documented ones.
    const port = await freePort();
    const nrpeLines = blocks('nrpe');
    expect(nrpeLines).toHaveLength(1);
    writeFileSync(`${DIR}/nrpe.d/zfailover.cfg`, sudoPaths(nrpeLines[0] as string));
    writeFileSync(
      `${DIR}/nrpe.cfg`,
      [
        `pid_file=${DIR}/var/nrpe.pid`,
        `server_port=${port}`,
        'server_address=127.0.0.1',
        'allowed_hosts=127.0.0.1',
        // NRPE refuses to run as root; `nagios` as on Debian (created by icinga2-common / nagios4-common).
        'nrpe_user=nagios',
        'nrpe_group=nagios',
        'dont_blame_nrpe=0',
        'allow_bash_command_substitution=0',
        'command_timeout=60',
        'connection_timeout=300',
        'debug=0',
        `include_dir=${DIR}/nrpe.d`,
        '',
      ].join('\n'),
    );
    // NRPE's commands run as nagios through sudo: the documented sudoers block (install paths substituted) as a
    // drop-in, and /etc/zfailover bound to the test's directory, both only inside NRPE's own mount namespace (an
    // overlay on /etc): nothing on the host changes, and the plugins read the documented default config path.
    writeFileSync(`${DIR}/sudoers`, sudoPaths(blocks('sudoers')[0] as string), { mode: 0o440 });
    const visudo = await execa('/usr/sbin/visudo', ['-c', '-f', `${DIR}/sudoers`], { reject: false });
    expect(visudo.exitCode, visudo.stdout + visudo.stderr).toBe(0);
    const inNamespace = [
      'set -e',
      'mount -t overlay zfo-etc -o "lowerdir=/etc,upperdir=$1/ns/etc,workdir=$1/ns/etc-work" /etc',
      'mkdir -p /etc/zfailover',
      'mount --bind "$1/etcz" /etc/zfailover',
      'cp "$1/sudoers" /etc/sudoers.d/zfo-test-nagios && chmod 0440 /etc/sudoers.d/zfo-test-nagios',
      'exec "$2" -c "$1/nrpe.cfg" -f',
    ].join('\n');
    nrpe = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', inNamespace, 'sh', DIR, NRPE], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });

    // Nagios: both documented object blocks, plus what a Nagios install already has (a service template,
    // a time period, a contact, the two hosts), in a private main config.
    const nagiosBlocks = blocks('nagios').map((b) => paths(b).replaceAll('-H $HOSTADDRESS$', `-H $HOSTADDRESS$ -p ${port}`));
    expect(nagiosBlocks).toHaveLength(2);
    for (const b of nagiosBlocks) {
      for (const m of b.matchAll(/host_name\s+(\S+)\n\s+service_description\s+(.+)\n/g)) {
        for (const h of (m[1] as string).split(',')) services.push(`${h};${(m[2] as string).trim()}`);
      }
    }
    objects = [
      ...nagiosBlocks,
      'define timeperiod {\n    timeperiod_name 24x7\n    alias 24x7\n' +
        ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((d) => `    ${d} 00:00-24:00\n`).join('') +
        '}',
      'define command {\n    command_name zfo-true\n    command_line /bin/true\n}',
      'define contact {\n    contact_name nobody\n    host_notifications_enabled 0\n    service_notifications_enabled 0\n    host_notification_period 24x7\n    service_notification_period 24x7\n    host_notification_options n\n    service_notification_options n\n    host_notification_commands zfo-true\n    service_notification_commands zfo-true\n}',
      'define service {\n    name generic-service\n    register 0\n    max_check_attempts 1\n    check_interval 3600\n    retry_interval 3600\n    check_period 24x7\n    notification_period 24x7\n    contacts nobody\n}',
      ...['server1', 'server2'].map(
        (h) =>
          `define host {\n    host_name ${h}\n    address 127.0.0.1\n    check_command zfo-true\n    max_check_attempts 1\n    check_period 24x7\n    notification_period 24x7\n    contacts nobody\n}`,
      ),
      '',
    ].join('\n');
    writeFileSync(`${DIR}/objects.cfg`, objects);
    writeFileSync(`${DIR}/resource.cfg`, `$USER1$=${PLUGINS}\n`);
    const v = (k: string) => `${k}=${DIR}`;
    writeFileSync(
      `${DIR}/nagios.cfg`,
      [
        `${v('log_file')}/var/nagios.log`,
        `${v('cfg_file')}/objects.cfg`,
        `${v('resource_file')}/resource.cfg`,
        `${v('status_file')}/var/status.dat`,
        'status_update_interval=1',
        `${v('object_cache_file')}/var/objects.cache`,
        `${v('precached_object_file')}/var/objects.precache`,
        `${v('temp_file')}/var/nagios.tmp`,
        `${v('temp_path')}/var`,
        `${v('lock_file')}/var/nagios.lock`,
        'retain_state_information=0',
        `${v('state_retention_file')}/var/retention.dat`,
        `${v('check_result_path')}/spool/checkresults`,
        `${v('command_file')}/rw/nagios.cmd`,
        `${v('query_socket')}/rw/nagios.qh`,
        'check_external_commands=1',
        'nagios_user=root',
        'nagios_group=root',
        'enable_notifications=0',
        'use_syslog=0',
        'check_result_reaper_frequency=1',
        'service_check_timeout=90',
        // Debian's /etc/nagios4/nagios.cfg (and upstream's sample) values:
        'illegal_object_name_chars=`~!$%^&*|\'"<>?,()=',
        'illegal_macro_output_chars=`~$&|\'"<>',
        '',
      ].join('\n'),
    );
  }, 300_000);

  afterAll(async () => {
    for (const c of [nagios, nrpe]) {
      if (c && c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    await pool?.destroy();
    rmSync(DIR, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  test('visudo accepts the documented sudoers line, and it names every check_zfs_* plugin', async () => {
    const lines = blocks('sudoers');
    expect(lines).toHaveLength(1);
    writeFileSync(`${DIR}/sudoers-verbatim`, lines[0] as string, { mode: 0o440 });
    const r = await execa('/usr/sbin/visudo', ['-c', '-f', `${DIR}/sudoers-verbatim`], { reject: false });
    expect(r.exitCode, `${r.stdout}${r.stderr}`).toBe(0);
    const plugins = readdirSync(`${ROOT}bin`).filter((f) => f.startsWith('check_zfs_'));
    const named = [...(lines[0] as string).matchAll(/\/usr\/local\/bin\/(check_zfs_\w+)/g)].map((m) => m[1]);
    expect([...named].sort()).toEqual([...plugins].sort());
  });

  test("nagios4 -v accepts the documented objects, Debian's illegal_object_name_chars included", async () => {
    const r = await execa(NAGIOS, ['-v', `${DIR}/nagios.cfg`], { reject: false });
    expect(r.exitCode, r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/Total Errors:\s+0/);
    // The old names with parentheses are what Nagios refuses with these settings.
    writeFileSync(`${DIR}/objects-parens.cfg`, objects.replace('ZFS replica RPO data', 'ZFS replica RPO (data)'));
    writeFileSync(`${DIR}/nagios-parens.cfg`, readFileSync(`${DIR}/nagios.cfg`, 'utf8').replace('/objects.cfg', '/objects-parens.cfg'));
    const bad = await execa(NAGIOS, ['-v', `${DIR}/nagios-parens.cfg`], { reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout).toMatch(/illegal/i);
  });

  test('every documented service, through NRPE and directly: OK with its line and perfdata', async () => {
    nagios = spawn(NAGIOS, [`${DIR}/nagios.cfg`], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
    expect(services.length).toBe(10);
    const s = await check(services);
    for (const n of services) expect([n, s.get(n)?.state, s.get(n)?.output]).toEqual([n, 0, expect.stringMatching(/^OK: /)]);
    expect(s.get('server2;ZFS replica RPO data')?.perfdata).toMatch(/^rpo=\d+s;30;120;0 behind=0;;;0/);
    expect(s.get('server2;ZFS replica RPO data direct')?.perfdata).toMatch(/^rpo=\d+s;30;120;0 behind=0;;;0/);
    expect(s.get('server2;ZFS replica divergence data')?.perfdata).toBe('in_sync=1;;;0 behind=0;;;0 conflicts=0;;;0');
    expect(s.get('server2;ZFS sync job data')?.perfdata).toMatch(/^last_success=\d+s;120;600;0 failures=0;;;0$/);
    expect(s.get('server2;ZFS snapshot gaps data')?.perfdata).toMatch(/^missing=0;0;;0 /);
    expect(s.get('server1;ZFS pool health')).toMatchObject({ output: `OK: ${P}: ONLINE`, perfdata: 'pools=1;;;0 unhealthy=0;;;0 vdev_errors=0;;;0' });
    expect(s.get('server2;ZFS pool capacity')?.perfdata).toMatch(new RegExp(`^${P}=\\d+%;100;100;0;100`));
    expect(s.get('server2;ZFS pool capacity direct')?.perfdata).toMatch(new RegExp(`^${P}=\\d+%;80;90;0;100`));
  }, 180_000);

  test('WARNING, CRITICAL and UNKNOWN reach Nagios through NRPE with their lines', async () => {
    const capacity = 'server2;ZFS pool capacity';
    writeConfig(`{warning: '@0:100', critical: '100'}`);
    let s = await check([capacity]);
    expect(s.get(capacity)).toMatchObject({
      state: 1,
      output: expect.stringMatching(/^WARNING: /),
      perfdata: expect.stringMatching(new RegExp(`^${P}=\\d+%;@100;100;0;100`)),
    });
    writeConfig(`{warning: '@0:100', critical: '@0:100'}`);
    s = await check([capacity]);
    expect(s.get(capacity)).toMatchObject({ state: 2, output: expect.stringMatching(/^CRITICAL: /) });
    writeFileSync(config, 'version: 1\njobs: [not, a, map]\n', { mode: 0o600 });
    s = await check([capacity, 'server2;ZFS replica RPO data']);
    expect(s.get(capacity)).toMatchObject({ state: 3, output: expect.stringMatching(/^UNKNOWN: .*zfailover\.yml/) });
    expect(s.get('server2;ZFS replica RPO data')).toMatchObject({ state: 3, output: expect.stringMatching(/^UNKNOWN: /) });
  }, 180_000);
});
