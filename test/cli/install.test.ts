// scripts/install.sh into a scratch root: the installed executables run through their links (without the
// checkout or node_modules), the example config lands 0600 in a 0700 directory and is never overwritten, a
// re-install is harmless, and --uninstall removes only what was installed.
import { execa } from 'execa';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';

const reason = cliBuilt();
const dir = mkdtempSync(`${tmpdir()}/zfo-install-`);
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  ZFAILOVER_PREFIX: `${dir}/opt/zfailover`,
  ZFAILOVER_BINDIR: `${dir}/bin`,
  ZFAILOVER_CONFDIR: `${dir}/etc/zfailover`,
  ZFAILOVER_STATEDIR: `${dir}/var/lib/zfailover`,
  ZFAILOVER_MIBDIR: '',
};
const install = (...args: string[]) => execa(`${ROOT}scripts/install.sh`, ['--no-build', ...args], { env, extendEnv: false, reject: false });

describe.skipIf(reason)(`scripts/install.sh${reason ? ` (skipped: ${reason})` : ''}`, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('installs runnable executables, the config directory and the state directory', async () => {
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^zfailover \d+\.\d+\.\d+ installed in /);
    // Run from elsewhere, through the link, with a bare PATH: nothing of the checkout is needed.
    const v = await execa(`${dir}/bin/zfailover`, ['--version'], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, extendEnv: false, reject: false });
    expect([v.exitCode, v.stdout]).toEqual([3, expect.stringMatching(/^zfailover \d/)]); // --version exits 3, as plugins do
    const c = await execa(`${dir}/bin/check_zfs_rpo`, ['--bogus'], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, extendEnv: false, reject: false });
    expect([c.exitCode, c.stdout]).toEqual([3, expect.stringMatching(/^UNKNOWN: /)]);
    expect(lstatSync(`${dir}/bin/check_zfs_gaps`).isSymbolicLink()).toBe(true);
    expect(statSync(`${dir}/etc/zfailover`).mode & 0o777).toBe(0o700);
    expect(statSync(`${dir}/etc/zfailover/zfailover.yml`).mode & 0o777).toBe(0o600);
    expect(statSync(`${dir}/var/lib/zfailover`).mode & 0o777).toBe(0o700);
    expect(existsSync(`${dir}/opt/zfailover/node_modules`)).toBe(false);
  });

  test("a re-install keeps the operator's config; --uninstall keeps config and state, removes the rest", async () => {
    writeFileSync(`${dir}/etc/zfailover/zfailover.yml`, 'version: 1\n# mine\n', { mode: 0o600 });
    expect((await install()).exitCode).toBe(0);
    expect(readFileSync(`${dir}/etc/zfailover/zfailover.yml`, 'utf8')).toBe('version: 1\n# mine\n');
    const u = await install('--uninstall');
    expect(u.exitCode, u.stderr).toBe(0);
    expect(existsSync(`${dir}/bin/zfailover`)).toBe(false);
    expect(existsSync(`${dir}/opt/zfailover`)).toBe(false);
    expect(existsSync(`${dir}/etc/zfailover/zfailover.yml`)).toBe(true);
    expect(existsSync(`${dir}/var/lib/zfailover`)).toBe(true);
  });

  test('an unknown argument is a usage error (exit 3) and changes nothing', async () => {
    const r = await install('--frobnicate');
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(`${dir}/opt/zfailover`)).toBe(false);
  });
});
