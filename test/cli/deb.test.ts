// The Debian package as an operator gets it: scripts/build-deb.sh builds zfailover_<version>_all.deb, lintian
// finds no error or warning, the man pages pass `mandoc -T lint` with nothing to say and document every option the
// program's --help lists; then `apt-get install ./zfailover_*.deb` in a clean Debian 12 root (debootstrap, no
// third-party repository) pulls Debian's nodejs as its dependency, and the installed zfailover, `man zfailover` and a
// plugin work; an upgrade keeps the operator's config; `dpkg --remove` keeps config and state, `--purge` deletes them.
// The root is built once and cached (test/helpers/debian-root.ts explains the cache and its lock): nodejs's .debs
// wait in its apt archive, so apt resolves nodejs from Debian's index without downloading it on every run.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { DEBIAN_ROOT_BUILD_MS, debianRoot, debianRootUnavailableReason, rootSession, type RootSession } from '../helpers/debian-root.js';
import { fakeZfs, type FakeZfs } from './check-fixtures.js';

const tool = (bin: string): string | null => (existsSync(bin) ? null : `${bin} is missing (scripts/install-deps.sh installs it)`);
const reason =
  cliBuilt() ??
  (existsSync(`${ROOT}dist/cli/man/index.js`) ? null : 'dist/cli/man is missing: run npm run build') ??
  tool('/usr/bin/dpkg-deb') ??
  tool('/usr/bin/lintian') ??
  tool('/usr/bin/mandoc') ??
  debianRootUnavailableReason();
const VERSION = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version as string;
const NEXT = `${VERSION}+upgrade1`;
const PLUGINS = ['check_zfs_rpo', 'check_zfs_divergence', 'check_zfs_job', 'check_zfs_gaps', 'check_zfs_health', 'check_zfs_capacity'];

describe.skipIf(reason)(`the Debian package${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const dir = mkdtempSync('/var/tmp/zfo-deb-');
  let deb = '';
  let next = '';
  let s: RootSession;
  let fake: FakeZfs;

  beforeAll(async () => {
    const build = async (env: Record<string, string>, out: string): Promise<string> => {
      const r = await execa(`${ROOT}scripts/build-deb.sh`, ['--no-build', out], { env, reject: false });
      if (r.exitCode !== 0) throw new Error(`build-deb.sh failed: ${r.stderr}`);
      return r.stdout.trim();
    };
    deb = await build({}, `${dir}/v1`);
    next = await build({ ZFAILOVER_DEB_VERSION: NEXT }, `${dir}/v2`);
    rmSync(`${dir}/x`, { recursive: true, force: true });
    await execa('dpkg-deb', ['-x', deb, `${dir}/x`]);
    const root = await debianRoot(['man-db'], ['nodejs']);
    s = rootSession(root);
    s.put(deb, `/root/debs/${deb.split('/').pop()}`);
    s.put(next, `/root/debs/${next.split('/').pop()}`);
    fake = fakeZfs();
  }, DEBIAN_ROOT_BUILD_MS);
  afterAll(() => {
    fake?.cleanup();
    s?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('file name, control fields and layout', async () => {
    expect(deb.endsWith(`/zfailover_${VERSION}_all.deb`)).toBe(true);
    const field = async (f: string) => (await execa('dpkg-deb', ['-f', deb, f])).stdout;
    expect(await field('Depends')).toBe('nodejs (>= 18.19)');
    expect(await field('Recommends')).toBe('zfsutils-linux | zfs-fuse, openssh-client, monit');
    expect(await field('Architecture')).toBe('all');
    const conffiles = (await execa('dpkg-deb', ['--ctrl-tarfile', deb]).pipe('tar', ['-xO', './conffiles'])).stdout;
    expect(conffiles.split('\n')).toEqual(['/etc/zfailover/zfailover.yml', '/etc/logrotate.d/zfailover']);
    const list = (await execa('dpkg-deb', ['-c', deb])).stdout.split('\n').map((l) => l.split(/\s+/));
    const entry = (p: string) => list.find((f) => f[5] === `./${p}` || f[5] === `./${p}/`);
    expect(entry('etc/zfailover')?.[0]).toBe('drwx------');
    expect(entry('etc/zfailover/zfailover.yml')?.[0]).toBe('-rw-------');
    expect(entry('etc/zfailover/zfailover.yml')?.[1]).toBe('root/root');
    expect(entry('usr/sbin/zfailover')?.slice(5)).toEqual(['./usr/sbin/zfailover', '->', '../lib/zfailover/bin/zfailover']);
    for (const p of PLUGINS) {
      expect(entry(`usr/sbin/${p}`)?.[0]).toMatch(/^l/);
      expect(entry(`usr/lib/nagios/plugins/${p}`)?.slice(5)).toEqual([`./usr/lib/nagios/plugins/${p}`, '->', `../../zfailover/bin/${p}`]);
      expect(entry(`usr/share/man/man8/${p}.8.gz`)).toBeDefined();
    }
    for (const p of [
      'usr/share/man/man8/zfailover.8.gz',
      'usr/share/man/man5/zfailover.yml.5.gz',
      'usr/share/snmp/mibs/ZFAILOVER-MIB.txt',
      'etc/logrotate.d/zfailover',
      'usr/share/doc/zfailover/copyright',
      'usr/share/doc/zfailover/changelog.gz',
      'usr/share/doc/zfailover/examples/monit/zfailover-sync.monitrc',
      'usr/share/doc/zfailover/examples/nagios-icinga.md',
    ])
      expect(entry(p), p).toBeDefined();
    // No node_modules: the bundle is self-contained. Shebangs name Debian's /usr/bin/node.
    expect(list.some((f) => f[5]?.includes('node_modules'))).toBe(false);
    expect(readFileSync(`${dir}/x/usr/lib/zfailover/bin/zfailover`, 'utf8').split('\n')[0]).toBe('#!/usr/bin/node --max-semi-space-size=64');
    // The packaged Monit snippets call the packaged executables.
    const monit = readFileSync(`${dir}/x/usr/share/doc/zfailover/examples/monit/checks.monitrc`, 'utf8');
    expect(monit).toMatch(/"\/usr\/sbin\/check_zfs_rpo /);
    expect(monit).not.toMatch(/\/usr\/local\/bin/);
  });

  test('lintian: no errors, no warnings', async () => {
    const r = await execa('lintian', ['--fail-on', 'error,warning', '--tag-display-limit', '0', deb], { reject: false });
    expect(r.stdout.split('\n').filter((l) => /^[EW]: /.test(l))).toEqual([]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  test('man pages: mandoc -T lint has nothing to say; every option --help lists is in zfailover(8) or the plugin page', async () => {
    const pages = [
      ...readdirSync(`${dir}/x/usr/share/man/man8`).map((f) => `${dir}/x/usr/share/man/man8/${f}`),
      `${dir}/x/usr/share/man/man5/zfailover.yml.5.gz`,
    ];
    expect(pages.length).toBe(2 + PLUGINS.length);
    const plain = async (page: string) => (await execa('sh', ['-c', 'gzip -dc "$1" | mandoc -T utf8 | col -bx', 'sh', page])).stdout;
    for (const page of pages) {
      const lint = await execa('sh', ['-c', 'gzip -dc "$1" > "$1.roff" && mandoc -T lint "$1.roff"; rc=$?; rm -f "$1.roff"; exit $rc', 'sh', page], {
        reject: false,
      });
      expect([page, lint.stdout, lint.stderr, lint.exitCode]).toEqual([page, '', '', 0]);
    }
    // Drift: the options each command's --help prints (the program's own parser) are all in the page.
    const flagsOf = (help: string): string[] => [...new Set(help.match(/(?<=^|[\s,])--?[a-zA-Z][\w-]*/gm) ?? [])];
    const zman = await plain(`${dir}/x/usr/share/man/man8/zfailover.8.gz`);
    const cmds = [[], ['sync'], ['snapshot'], ['prune'], ['promote'], ['demote'], ['status'], ['alert', 'test'], ['check', 'rpo'], ['check', 'health']];
    for (const c of cmds) {
      const h = await execa(`${ROOT}bin/zfailover`, [...c, '--help'], { reject: false });
      const flags = flagsOf(h.stdout.split('\nOptions:')[1] ?? '');
      expect(flags.length, c.join(' ')).toBeGreaterThan(1);
      for (const f of flags) expect(zman, `${c.join(' ')} ${f}`).toContain(f);
    }
    for (const p of PLUGINS) {
      const h = await execa(`${ROOT}bin/${p}`, ['--help'], { reject: false });
      const man = await plain(`${dir}/x/usr/share/man/man8/${p}.8.gz`);
      for (const f of flagsOf(h.stdout.split('\nOptions:')[1] ?? '')) expect(man, `${p} ${f}`).toContain(f);
    }
    // zfailover.yml(5): every key of the shipped example config is documented.
    const yman = await plain(`${dir}/x/usr/share/man/man5/zfailover.yml.5.gz`);
    for (const k of [
      'state_dir',
      'log.file',
      'ssh.control_persist',
      'jobs.<name>.source',
      'jobs.<name>.targets[].dataset',
      'jobs.<name>.transport.mbuffer_size',
      'alerts',
      'checks',
    ])
      expect(yman).toContain(k);
    expect(yman).toMatch(/jobs\.<name>\.deadline\s+duration/);
  }, 300_000);

  test("apt-get install ./zfailover_*.deb on clean Debian 12: Debian's nodejs pulled in; zfailover, man and a plugin work", async () => {
    const before = await s.run(['dpkg-query', '-W', '-f', '${Status}', 'nodejs']);
    expect(before.stdout).not.toMatch(/install ok installed/);
    // The README's command, verbatim (without sudo: we are root), from the directory holding the package.
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const line = /^sudo (apt-get install \.\/zfailover_\S+_all\.deb)/m.exec(readme)?.[1];
    expect(line).toBe(`apt-get install ./zfailover_${VERSION}_all.deb`);
    const i = await s.sh(`cd /root/debs && ${line} -y`);
    expect(i.code, i.stdout + i.stderr).toBe(0);
    expect(i.stdout).toMatch(/The following NEW packages will be installed:[\s\S]*\bnodejs\b[\s\S]*\bzfailover\b/);
    const node = await s.run(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'nodejs']);
    expect(node.stdout).toMatch(/^install ok installed 18\.\d+\.\d+\+dfsg/);
    const v = await s.run(['zfailover', '--version']);
    expect([v.code, v.stdout]).toEqual([3, `zfailover ${VERSION}`]);
    // `man zfailover` finds the page through man-db's normal search path; man -l renders the file.
    const manLine = /^(man zfailover) /m.exec(readme)?.[1];
    const plainMan = await s.sh(`MANPAGER=cat MANWIDTH=80 ${manLine}`);
    expect([plainMan.code, plainMan.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(/^ZFAILOVER\(8\) +System Administration +ZFAILOVER\(8\)$/)]);
    const w = await s.sh('man -w zfailover; man -w 5 zfailover.yml; man -w check_zfs_rpo');
    expect(w.stdout.split('\n')).toEqual([
      '/usr/share/man/man8/zfailover.8.gz',
      '/usr/share/man/man5/zfailover.yml.5.gz',
      '/usr/share/man/man8/check_zfs_rpo.8.gz',
    ]);
    const m = await s.sh('MANWIDTH=80 man -P cat -l /usr/share/man/man8/zfailover.8.gz');
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^ZFAILOVER\(8\)/);
    expect(m.stdout).toMatch(/zfailover sync \[options\]/);
    // A plugin from Nagios's directory, over a scripted zfs (the fake lives at the same path inside the root).
    const NOW = Math.floor(Date.now() / 1000);
    fake.setListing('tank/src', [{ name: 'tank/src', snaps: [['a', '11', 5, NOW - 5000]], props: { written: '0' } }]);
    fake.setListing('bk/dst', [{ name: 'bk/dst', snaps: [['a', '11', 7, NOW - 5000]], props: { written: '0' } }]);
    s.put(fake.dir, fake.dir);
    const c = await s.run([
      '/usr/bin/env',
      '-i',
      `PATH=${fake.dir}/bin:/usr/bin:/bin`,
      '/usr/lib/nagios/plugins/check_zfs_rpo',
      'tank/src',
      'bk/dst',
      '--state-dir',
      fake.stateDir,
    ]);
    const onHost = await execa(`${ROOT}bin/check_zfs_rpo`, ['tank/src', 'bk/dst', '--state-dir', fake.stateDir], {
      env: fake.env,
      extendEnv: false,
      reject: false,
    });
    expect([c.code, c.stdout.split('\n')[0], c.stderr]).toEqual([
      0,
      expect.stringMatching(/^OK: bk\/dst: rpo 0s \(unchanged since the newest snapshot\) \| /),
      '',
    ]);
    expect(c.stdout).toBe(onHost.stdout);
    const u = await s.run(['/usr/sbin/check_zfs_health', '--bogus']);
    expect([u.code, u.stdout.split('\n')[0]]).toEqual([3, expect.stringMatching(/^UNKNOWN: usage: unknown option --bogus /)]);
    // Modes as promised: config 0600 in a 0700 directory, state 0700.
    const st = await s.run(['stat', '-c', '%n %a %U', '/etc/zfailover', '/etc/zfailover/zfailover.yml', '/var/lib/zfailover']);
    expect(st.stdout.split('\n')).toEqual(['/etc/zfailover 700 root', '/etc/zfailover/zfailover.yml 600 root', '/var/lib/zfailover 700 root']);
  }, 600_000);

  test("an upgrade keeps the operator's config; --remove keeps config and state; --purge deletes them", async () => {
    const mine = "version: 1\n# the operator's own config\n";
    await s.sh(
      `printf '%s' '${mine.replace(/'/g, "'\\''")}' > /etc/zfailover/zfailover.yml; echo cursor > /var/lib/zfailover/kept; echo k > /etc/zfailover/known_hosts`,
    );
    const up = await s.sh(`apt-get install -y /root/debs/zfailover_${NEXT}_all.deb </dev/null`);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect((await s.run(['dpkg-query', '-W', '-f', '${Version}', 'zfailover'])).stdout).toBe(NEXT);
    expect((await s.run(['cat', '/etc/zfailover/zfailover.yml'])).stdout).toBe(mine.trimEnd());
    expect((await s.run(['stat', '-c', '%a', '/etc/zfailover/zfailover.yml'])).stdout).toBe('600');

    const rm = await s.run(['dpkg', '--remove', 'zfailover']);
    expect(rm.code, rm.stdout + rm.stderr).toBe(0);
    expect((await s.run(['dpkg-query', '-W', '-f', '${Status}', 'zfailover'])).stdout).toBe('deinstall ok config-files');
    const after = await s.sh(
      'for f in /usr/sbin/zfailover /usr/lib/nagios/plugins/check_zfs_rpo /usr/lib/zfailover /etc/zfailover/zfailover.yml /etc/zfailover/known_hosts /var/lib/zfailover/kept; do [ -e "$f" ] && echo "kept $f" || echo "gone $f"; done',
    );
    expect(after.stdout.split('\n')).toEqual([
      'gone /usr/sbin/zfailover',
      'gone /usr/lib/nagios/plugins/check_zfs_rpo',
      'gone /usr/lib/zfailover',
      'kept /etc/zfailover/zfailover.yml',
      'kept /etc/zfailover/known_hosts',
      'kept /var/lib/zfailover/kept',
    ]);
    expect((await s.run(['cat', '/etc/zfailover/zfailover.yml'])).stdout).toBe(mine.trimEnd());

    const purge = await s.run(['dpkg', '--purge', 'zfailover']);
    expect(purge.code, purge.stdout + purge.stderr).toBe(0);
    const gone = await s.sh(
      'for f in /etc/zfailover /var/lib/zfailover /var/log/zfailover /etc/logrotate.d/zfailover; do [ -e "$f" ] && echo "kept $f" || echo "gone $f"; done; dpkg-query -W zfailover 2>&1 || true',
    );
    expect(gone.stdout.split('\n').slice(0, 4)).toEqual([
      'gone /etc/zfailover',
      'gone /var/lib/zfailover',
      'gone /var/log/zfailover',
      'gone /etc/logrotate.d/zfailover',
    ]);
    // nodejs stays: it is Debian's package, installed as a dependency, for apt autoremove to judge.
    expect((await s.run(['node', '--version'])).stdout).toMatch(/^v18\./);
  }, 600_000);
});
