// Restricted mode's argument walk, in every spelling commander accepts: what a plugin run by sudo for another
// user takes and refuses (the real sudo run is in sudo-restricted.test.ts).
import { describe, expect, it } from 'vitest';
import { restrictedCaller, restrictedRefusal } from '../../src/cli/restricted.js';

const SUDO = { SUDO_UID: '102', SUDO_USER: 'nagios' };
const refusal = (program: string, args: string[], env: NodeJS.ProcessEnv = SUDO, euid = 0): string | null =>
  restrictedRefusal(program, ['check', program.replace('check_zfs_', ''), ...args], env, euid);

describe('restricted mode', () => {
  it('applies only to check_zfs_* run as root for a non-root sudo/pkexec caller', () => {
    expect(restrictedCaller(SUDO, 0)).toBe('uid 102');
    expect(restrictedCaller({ PKEXEC_UID: '1000' }, 0)).toBe('uid 1000');
    expect(restrictedCaller({ SUDO_UID: '0' }, 0)).toBeNull();
    expect(restrictedCaller(SUDO, 102)).toBeNull(); // not root: nothing to protect
    expect(restrictedCaller({ SUDO_UID: 'x y' }, 0)).toBe('SUDO_UID set'); // fail closed
    expect(restrictedCaller({}, 0)).toBeNull();
    expect(restrictedRefusal('zfailover', ['check', 'rpo', '--config', '/x'], SUDO, 0)).toBeNull();
    expect(refusal('check_zfs_rpo', ['--config', '/x'], {}, 0)).toBeNull();
  });

  it.each([
    ['check_zfs_rpo', ['--job', 'data', '-w', '30s', '-c', '2m', '-t', '20s']],
    ['check_zfs_rpo', ['--job=data', '--warning=30s', '-w30s', '--all', '--no-estimate', '--max-lines', '5']],
    ['check_zfs_divergence', ['--job', 'data', '-t', '20s']],
    ['check_zfs_job', ['--job', 'data', '--failures-warning', '3', '--failures-critical=9', '--max-runtime', '15m', '--prune-horizon', '1h', '--no-zfs']],
    ['check_zfs_health', ['-t', '20s', '--degraded-is-critical', 'tank', 'vol2']],
    ['check_zfs_capacity', ['-w', '80', '-c', '90', 'tank']],
    ['check_zfs_gaps', ['--job', 'data', '--grace', '10m', 'vol2/data']],
    ['check_zfs_rpo', ['--help']],
    ['check_zfs_rpo', ['-V']],
    ['check_zfs_rpo', ['-w', '--config']], // the value of -w, as commander reads it
  ])('%s %j is taken', (program, args) => {
    expect(refusal(program, args)).toBeNull();
  });

  it.each([
    ['check_zfs_rpo', ['--config', '/root/.ssh/id_ed25519'], "option '--config'"],
    ['check_zfs_rpo', ['--config=/root/.ssh/id_ed25519'], "option '--config'"],
    ['check_zfs_rpo', ['--state-dir', '/tmp/x'], "option '--state-dir'"],
    ['check_zfs_rpo', ['--log-file', '/etc/shadow'], "option '--log-file'"],
    ['check_zfs_rpo', ['--ssh-option', 'ProxyCommand=id'], "option '--ssh-option'"],
    ['check_zfs_rpo', ['--ssh-key', '/x'], "option '--ssh-key'"],
    ['check_zfs_rpo', ['--ssh-port', '22'], "option '--ssh-port'"],
    ['check_zfs_rpo', ['root@h:pool/ds', 'pool/ds'], 'ad-hoc'],
    ['check_zfs_rpo', ['-r', '--job', 'x'], "option '-r'"],
    ['check_zfs_rpo', ['--exclude', 'a'], "option '--exclude'"],
    ['check_zfs_rpo', ['--id', 'a'], "option '--id'"],
    ['check_zfs_rpo', ['--json'], "option '--json'"],
    ['check_zfs_rpo', ['-v'], "option '-v'"],
    ['check_zfs_rpo', ['--log-level', 'debug'], "option '--log-level'"],
    ['check_zfs_rpo', ['--job', 'x', '--', 'a'], "'--'"],
    ['check_zfs_rpo', ['--all=1'], "option '--all'"],
    ['check_zfs_health', ['-H', 'root@h'], "option '-H'"],
    ['check_zfs_health', ['-Hroot@h'], "option '-H'"],
    ['check_zfs_health', ['--hostname=root@h'], "option '--hostname'"],
    ['check_zfs_health', ['-vH', 'h'], "option '-v'"],
    ['check_zfs_capacity', ['--ssh-option', 'x'], "option '--ssh-option'"],
    ['check_zfs_gaps', ['--now', '2026-01-01T00:00:00Z'], "option '--now'"],
    ['check_zfs_job', ['--$(id)'], 'an argument'],
  ])('%s %j is refused', (program, args, what) => {
    const r = refusal(program, args);
    expect(r).toContain(`${what}`);
    expect(r).toMatch(/^check_zfs_\w+ run by sudo for uid 102: .* is refused/);
    expect(r).not.toMatch(/ProxyCommand|id_ed25519|shadow|\$\(id\)/);
  });

  it('refuses a plugin line that is not its own check', () => {
    expect(restrictedRefusal('check_zfs_rpo', ['sync', '--job', 'x'], SUDO, 0)).toMatch(/this command line is refused/);
    expect(restrictedRefusal('check_zfs_new', ['check', 'new'], SUDO, 0)).toMatch(/is refused/);
  });
});
