// The ssh master socket is per destination and identity: two keys to one host never share an authenticated
// connection, and the socket path fits the 108-byte limit with room for a long state directory.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { controlPath, SshRunner, sshConfigPath } from '../../../src/zfs/runner-ssh.js';

const base = { controlDir: '/var/lib/zfailover/ssh', options: [] as string[], controlPersist: 60, connectTimeout: 10 };
const pathIn = (argv: readonly string[]): string => argv.find((a) => a.startsWith('ControlPath='))!.slice('ControlPath='.length);

describe('controlPath', () => {
  test('different destinations or identities get different sockets, equal ones the same (property)', () => {
    const ident = fc.record({
      dest: fc.constantFrom('root@a', 'root@b', 'zfo@a'),
      port: fc.option(fc.constantFrom(22, 2222), { nil: undefined }),
      key: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      options: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(ident, ident, (a, b) => {
        const same = JSON.stringify([a.dest, a.port ?? null, a.key ?? null, a.options]) === JSON.stringify([b.dest, b.port ?? null, b.key ?? null, b.options]);
        expect(
          controlPath({ ...base, key: a.key, options: a.options }, a.dest, a.port) === controlPath({ ...base, key: b.key, options: b.options }, b.dest, b.port),
        ).toBe(same);
      }),
    );
  });

  test('the runner uses it for every session; a 70-character state directory still fits the socket limit', () => {
    const settings = { ...base, key: '/etc/zfailover/id_b', options: ['UserKnownHostsFile=/etc/zfailover/known_hosts'] };
    const r = new SshRunner({ host: 'server1', user: 'root' }, settings);
    expect(pathIn(r.sshArgv([['zfs', 'list']]))).toBe(sshConfigPath(controlPath(settings, 'root@server1', undefined)));
    const long = controlPath({ ...settings, controlDir: `/${'d'.repeat(69)}` }, 'root@server1', 22);
    expect(long.length + 17).toBeLessThan(108); // ssh binds `<path>.<16 random>` first
  });
});

describe('sshConfigPath: a state dir with blanks, quotes or % reaches ssh exactly (real ssh -G parses it)', () => {
  test.each(['/var/lib/zfailover/ssh/ab', '/srv/state dir/ssh/ab', '/tmp/100%/x', '/tmp/q"uote\\d/x', "/tmp/it's/x"])('%s', async (path) => {
    const { execa } = await import('execa');
    const r = await execa('ssh', ['-G', '-o', `ControlPath=${sshConfigPath(path)}`, 'localhost']);
    expect(r.stdout.split('\n').find((l) => l.startsWith('controlpath '))).toBe(`controlpath ${path}`);
  });
});
