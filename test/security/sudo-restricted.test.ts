// The sudo rule shipped in docs/nagios-icinga.md, loaded verbatim into a real sudo, run by the real `nagios`
// user: the documented NRPE command lines work, and the audit's attacks through it (a ProxyCommand run as
// root, --config on a private key printed back, --state-dir/--log-file chosen by the caller) are refused with
// one UNKNOWN line and leave no trace. Nothing on the host changes: /etc and /usr/local/bin get private
// overlays in a private mount namespace (unshare -m), so the sudoers file and /etc/zfailover exist only there.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, ROOT, STATUS_LINE } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const DOC = `${ROOT}docs/nagios-icinga.md`;
const PLUGINS = ['check_zfs_rpo', 'check_zfs_divergence', 'check_zfs_job', 'check_zfs_health', 'check_zfs_capacity', 'check_zfs_gaps'];

const hasUser = (name: string): boolean =>
  readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((l) => l.startsWith(`${name}:`));
const skipReason = (): string | null => {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces, a setuid sudo)';
  if (!existsSync('/usr/bin/sudo')) return 'sudo is not installed (scripts/install-deps.sh installs it)';
  if (!existsSync('/usr/bin/unshare') || !existsSync('/usr/bin/setpriv')) return 'util-linux unshare/setpriv missing';
  if (!hasUser('nagios')) return 'no nagios user (nagios4 creates it; the documented rule names it)';
  return cliBuilt();
};
const skip = skipReason();

/** The fenced block of the docs that starts with the sudoers.d comment, byte for byte. */
const docSudoers = (): string => {
  const m = /```(?:sudoers)?\n(# \/etc\/sudoers\.d\/zfailover-checks[^\n]*\n[\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'));
  if (!m) throw new Error('docs/nagios-icinga.md has no sudoers block');
  return m[1] as string;
};
/** The NRPE command lines of the docs that run a plugin through sudo: `[name, argv after sudo]`. */
const docSudoCommands = (): string[][] =>
  [...readFileSync(DOC, 'utf8').matchAll(/^command\[[^\]]+\]=\/usr\/bin\/sudo (.+)$/gm)].map((m) => (m[1] as string).trim().split(/\s+/));

describe.skipIf(skip !== null)(`sudo rule from the docs, restricted plugins ${skip ? `(skipped: ${skip})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('sudo-')}`;
  const stateDir = `${dir}/state`;
  const pwned = `${dir}/pwned`;
  const secret = `${dir}/id_ed25519`;

  beforeAll(() => {
    // The overlays' upper layers: what exists only inside the namespace.
    mkdirSync(`${dir}/etc/sudoers.d`, { recursive: true, mode: 0o755 });
    mkdirSync(`${dir}/etc/zfailover`, { recursive: true, mode: 0o755 });
    mkdirSync(`${dir}/bin`, { recursive: true, mode: 0o755 });
    for (const d of ['etc-work', 'bin-work']) mkdirSync(`${dir}/${d}`, { mode: 0o700 });
    chmodSync(dir, 0o755);
    writeFileSync(`${dir}/etc/sudoers.d/zfailover-checks`, docSudoers(), { mode: 0o440 });
    writeFileSync(
      `${dir}/etc/zfailover/zfailover.yml`,
      ['version: 1', `state_dir: ${stateDir}`, 'jobs:', '  data:', '    source: zfo-sudo-nopool/data', '    targets: [zfo-sudo-nopool/copy]', ''].join('\n'),
      { mode: 0o644 },
    );
    for (const p of PLUGINS) symlinkSync(`${ROOT}bin/${p}`, `${dir}/bin/${p}`);
    writeFileSync(secret, '-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETKEYMATERIAL0123456789\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `sudo -n ARGS` as nagios inside the private namespace; returns exit code and stdout. */
  const sudoAsNagios = async (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; line: string }> => {
    const script = [
      'set -e',
      `mount -t overlay zfo-etc -o lowerdir=/etc,upperdir="$D/etc",workdir="$D/etc-work" /etc`,
      `mount -t overlay zfo-bin -o lowerdir=/usr/local/bin,upperdir="$D/bin",workdir="$D/bin-work" /usr/local/bin`,
      'exec setpriv --reuid=nagios --regid=nagios --init-groups -- /usr/bin/sudo -n "$@"',
    ].join('\n');
    const r = await execa('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...args], {
      reject: false,
      env: { D: dir, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      extendEnv: false,
      timeout: 120_000,
    });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, line: r.stdout.split('\n')[0] ?? '' };
  };

  it('the documented rule is valid sudoers syntax', async () => {
    const r = await execa('visudo', ['-c', '-f', `${dir}/etc/sudoers.d/zfailover-checks`], { reject: false });
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
  });

  it('runs every documented NRPE command line through sudo without a refusal', async () => {
    const cmds = docSudoCommands();
    expect(cmds.length).toBeGreaterThanOrEqual(5);
    for (const argv of cmds) {
      const r = await sudoAsNagios(argv);
      expect(r.stderr, argv.join(' ')).not.toMatch(/password|not allowed|sorry/i);
      expect(r.line, argv.join(' ')).toMatch(STATUS_LINE);
      expect(r.line, argv.join(' ')).not.toMatch(/run by sudo/);
    }
  }, 300_000);

  it('refuses the ProxyCommand attack (ad-hoc side + --ssh-option) and runs nothing', async () => {
    const attack = `ProxyCommand=sh -c "id > ${pwned}"`;
    for (const argv of [
      ['/usr/local/bin/check_zfs_rpo', '--ssh-option', attack, 'root@127.0.0.1:pool/ds', 'pool/ds'],
      ['/usr/local/bin/check_zfs_rpo', `--ssh-option=${attack}`, '--job', 'data'],
      ['/usr/local/bin/check_zfs_health', '-H', 'root@127.0.0.1', '--ssh-option', attack],
      ['/usr/local/bin/check_zfs_capacity', '-Hroot@127.0.0.1', '--ssh-option', attack],
      ['/usr/local/bin/check_zfs_job', '--job', 'data', '-vH', 'root@127.0.0.1'],
    ]) {
      const r = await sudoAsNagios(argv);
      expect(r.code, argv.join(' ')).toBe(3);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(r.line).toMatch(/^UNKNOWN: check_zfs_\w+ run by sudo for uid \d+: .* is refused/);
      expect(r.line).not.toContain('ProxyCommand');
      expect(existsSync(pwned)).toBe(false);
    }
  }, 120_000);

  it('refuses --config (a private key is never printed), --state-dir and --log-file', async () => {
    for (const argv of [
      ['/usr/local/bin/check_zfs_rpo', '--config', secret, '--job', 'x'],
      ['/usr/local/bin/check_zfs_rpo', '--job', 'x', `--config=${secret}`],
      ['/usr/local/bin/check_zfs_job', '--job', 'data', '--state-dir', `${dir}/evil`],
      ['/usr/local/bin/check_zfs_job', '--job', 'data', '--log-file', `${dir}/victim`],
      ['/usr/local/bin/check_zfs_divergence', '--json', '--job', 'data'],
      ['/usr/local/bin/check_zfs_gaps', '--now', '2026-01-01T00:00:00Z'],
      ['/usr/local/bin/check_zfs_rpo', '--job', 'data', '--', 'pool/ds'],
    ]) {
      const r = await sudoAsNagios(argv);
      expect(r.code, argv.join(' ')).toBe(3);
      expect(r.line).toMatch(/^UNKNOWN: check_zfs_\w+ run by sudo for uid \d+: .* is refused/);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(r.stdout + r.stderr).not.toContain('SECRETKEYMATERIAL');
    }
    expect(existsSync(`${dir}/evil`)).toBe(false);
    expect(existsSync(`${dir}/victim`)).toBe(false);
  }, 120_000);

  it('a value that looks like a refused option is only a value (-w --config), as commander reads it', async () => {
    const r = await sudoAsNagios(['/usr/local/bin/check_zfs_job', '--job', 'data', '--no-zfs', '-t', '20s']);
    expect(r.line).toMatch(STATUS_LINE);
    expect(r.line).not.toMatch(/run by sudo/);
    const v = await sudoAsNagios(['/usr/local/bin/check_zfs_job', '--job', 'data', '--no-zfs', '-w', '--config']);
    // Not refused by restricted mode; commander then rejects '--config' as a threshold.
    expect(v.line).not.toMatch(/run by sudo/);
    expect(v.code).toBe(3);
  }, 120_000);

  it('root running the plugin directly is not restricted', async () => {
    const r = await execa(`${ROOT}bin/check_zfs_job`, ['--config', `${dir}/etc/zfailover/zfailover.yml`, '--job', 'data', '--no-zfs'], {
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      extendEnv: false,
    });
    expect(r.stdout.split('\n')[0]).toMatch(STATUS_LINE);
    expect(r.stdout).not.toMatch(/run by sudo/);
  });
});
