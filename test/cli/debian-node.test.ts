// The built bundle on Debian 12's own Node.js (18.19+) and Debian 13's (20.19+), from Debian's mirror, no
// third-party repository: a debootstrap root with only `nodejs` (and openssh-client) installed, the executables copied in as
// scripts/build-deb.sh lays them out, run chrooted. Each command is also run on the host's Node.js (>= 20) and must
// give the same exit code and output: --version, --help, config errors (yaml + zod), the check plugins over a
// scripted zfs (execa, the listing parser), and `alert test` against a real SMTP server and snmptrapd on 127.0.0.1
// (nodemailer, whose current major declares engines >= 20, and net-snmp really working on 18).
// The root is built once and cached (test/helpers/debian-root.ts explains the cache and its lock); the first run
// on a machine spends minutes in debootstrap.
import { execa } from 'execa';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultEngineId } from '../../src/alert/mib.js';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { DEBIAN_ROOT_BUILD_MS, debianRoot, debianRootUnavailableReason, rootSession, type RootSession } from '../helpers/debian-root.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { snmptrapdUnavailableReason, startSnmptrapd, type TestTrapd } from '../helpers/snmptrapd.js';
import { fakeZfs, type FakeZfs } from './check-fixtures.js';

const reason = cliBuilt() ?? debianRootUnavailableReason() ?? snmptrapdUnavailableReason();
const APP = '/opt/zfailover';
const VERSION = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version as string;
const BINS = ['zfailover', 'check_zfs_rpo', 'check_zfs_divergence', 'check_zfs_job', 'check_zfs_gaps', 'check_zfs_health', 'check_zfs_capacity'];

// Debian 12 (and Ubuntu 24.04) ship Node.js 18.19+, Debian 13 ships 20.19+.
const SUITES = [
  // bookworm: the same cached root as test/zfs/sync-debian-node.test.ts (openssh-client for its sync), one build less.
  { name: 'Debian 12', suite: 'bookworm', packages: ['nodejs', 'openssh-client'], node: /^v18\.(19|[2-9]\d)\.\d+$/, pkg: /^18\.\d+\.\d+\+dfsg/ },
  { name: 'Debian 13', suite: 'trixie', packages: ['nodejs'], node: /^v20\.(19|[2-9]\d)\.\d+$/, pkg: /^20\.\d+\.\d+\+dfsg/ },
] as const;

describe.skipIf(reason).each(SUITES)(
  `the bundle on $name's own nodejs${reason ? ` (skipped: ${reason})` : ''}`,
  ({ suite, packages, node, pkg: pkgVersion }) => {
    let s: RootSession;
    let fake: FakeZfs;
    let smtp: SmtpSink;
    let trapd: TestTrapd;
    const host = mkdtempSync('/var/tmp/zfo-debnode-');

    beforeAll(async () => {
      const root = await debianRoot(packages, [], suite);
      s = rootSession(root);
      // The package layout (scripts/build-deb.sh): bin/ and dist/bundle/ under one directory, a package.json
      // making the extensionless executables ES modules, nothing from node_modules.
      const app = `${host}/app`;
      mkdirSync(`${app}/dist`, { recursive: true });
      cpSync(`${ROOT}dist/bundle`, `${app}/dist/bundle`, { recursive: true });
      for (const b of BINS) cpSync(`${ROOT}bin/${b}`, `${app}/bin/${b}`);
      writeFileSync(`${app}/package.json`, '{ "type": "module" }\n');
      s.put(app, APP);
      fake = fakeZfs();
      smtp = await startSmtpSink({ auth: { user: 'zfo', pass: 'deb-pass-1' } });
      trapd = await startSnmptrapd({
        communities: ['deb-community'],
        users: [{ name: 'zftrap', authKey: 'trapAuthKey1', privKey: 'trapPrivKey1', engineId: defaultEngineId('1.3.6.1.4.1.32473', hostname()) }],
      });
    }, DEBIAN_ROOT_BUILD_MS);
    afterAll(async () => {
      await smtp?.close();
      await trapd?.stop();
      fake?.cleanup();
      s?.cleanup();
      rmSync(host, { recursive: true, force: true });
    });

    /** The same command line in the root (Node 18) and on the host (Node >= 20), with a bare environment. */
    const both = async (bin: string, args: readonly string[], env: Record<string, string> = {}) => {
      const vars = Object.entries({ PATH: '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
      const inRoot = await s.run(['/usr/bin/env', '-i', ...vars, `${APP}/bin/${bin}`, ...args]);
      const onHost = await execa(`${ROOT}bin/${bin}`, [...args], { reject: false, env: { PATH: '/usr/bin:/bin', ...env }, extendEnv: false });
      return { inRoot, onHost: { code: onHost.exitCode ?? -1, stdout: onHost.stdout, stderr: onHost.stderr } };
    };

    test("the root runs Debian's own Node.js, not the host's", async () => {
      const v = await s.run(['node', '--version']);
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(node);
      const pkg = await s.run(['dpkg-query', '-W', '-f', '${Version}', 'nodejs']);
      expect(pkg.stdout).toMatch(pkgVersion);
    }, 120_000);

    test('--version and --help of every executable: exit 3, the same text as on the build Node.js', async () => {
      // One chroot session for all 14 runs (each session mounts an overlay; a busy machine makes that cost seconds).
      const runs = BINS.flatMap((b) => ['--version', '--help'].map((flag) => [b, flag] as const));
      const script = runs.map(([b, flag]) => `${APP}/bin/${b} ${flag} 2>&1; echo "@@rc=$?@@"`).join('\n');
      const r = await s.sh(script);
      const outs = r.stdout.split(/@@rc=(\d+)@@\n?/);
      const onHost = await Promise.all(
        runs.map(([b, flag]) => execa(`${ROOT}bin/${b}`, [flag], { reject: false, env: { PATH: '/usr/bin:/bin' }, extendEnv: false, all: true })),
      );
      runs.forEach(([b, flag], i) => {
        expect([b, flag, Number(outs[2 * i + 1])]).toEqual([b, flag, 3]);
        expect(outs[2 * i]?.replace(/\n$/, '')).toBe(onHost[i]?.all);
      });
      for (const cmd of ['sync', 'check', 'alert', 'snapshot', 'prune', 'promote', 'demote', 'status']) expect(outs[2]).toMatch(new RegExp(`\\n  ${cmd}\\b`));
    }, 180_000);

    test('config errors (yaml and zod): one line naming file, line and key, exit 3, as on the build Node.js', async () => {
      const cfg = '/etc/zfo-bad.yml';
      const text = 'version: 1\njobs:\n  data:\n    source: tank/a\n    targets: [{ dataset: bk/a }]\n    deadline: 10 minutes\n';
      mkdirSync(s.upper('/etc'), { recursive: true });
      writeFileSync(s.upper(cfg), text, { mode: 0o600 });
      writeFileSync(cfg.replace('/etc', host), text, { mode: 0o600 });
      const inRoot = await s.run([`${APP}/bin/zfailover`, '--config', cfg, 'sync', '--job', 'data', '--dry-run']);
      const onHost = await execa(`${ROOT}bin/zfailover`, ['--config', cfg.replace('/etc', host), 'sync', '--job', 'data', '--dry-run'], { reject: false });
      expect(inRoot.code).toBe(3);
      expect(inRoot.stdout.split('\n')[0]).toMatch(/^UNKNOWN: config error: \/etc\/zfo-bad\.yml:6: jobs\.data\.deadline: not a duration/);
      expect(inRoot.stdout.replaceAll(cfg, 'F')).toBe(onHost.stdout.replaceAll(cfg.replace('/etc', host), 'F'));
      const broken = '/etc/zfo-broken.yml';
      writeFileSync(s.upper(broken), 'jobs: [\n', { mode: 0o600 });
      const b = await s.run([`${APP}/bin/zfailover`, '--config', broken, 'sync', '--job', 'data']);
      expect([b.code, b.stdout.split('\n')[0]]).toEqual([3, expect.stringMatching(/^UNKNOWN: config error: \/etc\/zfo-broken\.yml:\d+/)]);
    });

    test('check plugins over a scripted zfs: the same verdicts and output as on the build Node.js', async () => {
      const NOW = Math.floor(Date.now() / 1000);
      fake.setListing('tank/src', [{ name: 'tank/src', snaps: [['a', '11', 5, NOW - 5000]], props: { written: '0' } }]);
      fake.setListing('bk/dst', [{ name: 'bk/dst', snaps: [['a', '11', 7, NOW - 5000]], props: { written: '73728' } }]);
      // The fake lives at the same path inside the root (it names its own directory).
      s.put(fake.dir, fake.dir);
      const rpo = await both('check_zfs_rpo', ['tank/src', 'bk/dst', '--state-dir', fake.stateDir], fake.env);
      expect([rpo.inRoot.code, rpo.inRoot.stdout.split('\n')[0], rpo.inRoot.stderr]).toEqual([0, expect.stringMatching(/^OK: bk\/dst: rpo 0s /), '']);
      expect(rpo.inRoot.stdout).toBe(rpo.onHost.stdout);
      const div = await both('check_zfs_divergence', ['tank/src', 'bk/dst', '--state-dir', fake.stateDir], fake.env);
      expect([div.inRoot.code, div.inRoot.stderr]).toEqual([div.onHost.code, '']);
      expect(div.inRoot.code).not.toBe(0);
      expect(div.inRoot.stdout).toBe(div.onHost.stdout);
      const sub = await both('zfailover', ['check', 'rpo', 'tank/src', 'bk/dst', '--state-dir', fake.stateDir], fake.env);
      expect(sub.inRoot.stdout).toBe(rpo.inRoot.stdout);
    }, 180_000);

    test('scripts/install.sh --no-build installs and runs on this Node.js; building asks for Node.js >= 20', async () => {
      const src = '/root/zfailover-src';
      for (const d of ['bin', 'monit', 'mibs', 'examples', 'dist/bundle', 'scripts/install.sh', 'package.json', 'README.md'])
        s.put(`${ROOT}${d}`, `${src}/${d}`);
      const env = 'ZFAILOVER_PREFIX=/opt/zfo-installed ZFAILOVER_BINDIR=/usr/local/bin';
      const i = await s.sh(`${env} ${src}/scripts/install.sh --no-build`);
      expect([i.code, i.stderr]).toEqual([0, '']);
      expect(i.stdout.split('\n')[0]).toBe(`zfailover ${VERSION} installed in /opt/zfo-installed, executables in /usr/local/bin`);
      const v = await s.sh('cd / && /usr/local/bin/check_zfs_gaps --version');
      expect([v.code, v.stdout]).toEqual([3, `check_zfs_gaps ${VERSION}`]);
      if (suite === 'bookworm') {
        const b = await s.sh(`${env} ${src}/scripts/install.sh`);
        expect([b.code, b.stdout]).toEqual([1, '']);
        expect(b.stderr).toMatch(/^zfailover needs Node\.js >= 20\.0 to build \(--no-build with a bundle built elsewhere: >= 18\.19\) \(found: v18\./);
      }
    }, 180_000);

    test('alert test: email (nodemailer) and SNMP v2c inform / v3 trap (net-snmp) delivered from that Node.js', async () => {
      const cfg = '/etc/zfailover/zfailover.yml';
      mkdirSync(s.upper('/etc/zfailover'), { recursive: true, mode: 0o700 });
      writeFileSync(
        s.upper(cfg),
        [
          'state_dir: /var/lib/zfailover',
          'alerts:',
          '  email: { host: 127.0.0.1, port: ' +
            String(smtp.port) +
            ', secure: none, user: zfo, password: deb-pass-1, from: zfailover@host-a.test, to: [ops@example.test] }',
          '  snmp:',
          '    receivers:',
          `      - { name: v2c, host: 127.0.0.1, port: ${trapd.port}, version: 2c, community: deb-community, mode: inform, timeout: 2s }`,
          `      - { name: v3trap, host: 127.0.0.1, port: ${trapd.port}, version: 3, mode: trap, user: zftrap, auth: { key: trapAuthKey1 }, priv: { key: trapPrivKey1 } }`,
          '',
        ].join('\n'),
      );
      chmodSync(s.upper(cfg), 0o600);
      const r = await s.run([`${APP}/bin/zfailover`, 'alert', 'test']);
      expect([r.code, r.stdout.split('\n')[0], r.stderr]).toEqual([0, 'OK: test alert sent through 3 channels', '']);
      const [m] = await smtp.waitFor(1);
      expect(m?.mail.subject).toBe(`[zfailover] TEST ${hostname()}: test alert from zfailover on ${hostname()}; if you read this, alerts reach you`);
      const traps = await trapd.waitFor(2);
      expect(traps.map((t) => t.get('SNMPv2-MIB::snmpTrapOID.0'))).toEqual(['ZFAILOVER-MIB::zfAlertTest', 'ZFAILOVER-MIB::zfAlertTest']);
    }, 180_000);
  },
);
