// The ssh master socket is per host and identity: two keys to one host never share an authenticated connection.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { controlPath, SshRunner } from '../../../src/zfs/runner-ssh.js';

const base = { controlDir: '/var/lib/zfailover/ssh', options: [] as string[], controlPersist: 60, connectTimeout: 10 };
const pathIn = (argv: readonly string[]): string => argv[argv.indexOf(argv.find((a) => a.startsWith('ControlPath='))!)]!.slice('ControlPath='.length);

describe('controlPath', () => {
  test('the default identity keeps ssh\'s %C; a key or options add their digest', () => {
    expect(controlPath(base)).toBe('/var/lib/zfailover/ssh/%C');
    expect(controlPath({ ...base, key: '/etc/zfailover/id_a' })).toMatch(/^\/var\/lib\/zfailover\/ssh\/%C-[0-9a-f]{10}$/);
  });

  test('different identities get different sockets, equal ones the same (property)', () => {
    const ident = fc.record({ key: fc.option(fc.string({ minLength: 1 }), { nil: undefined }), options: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }) });
    fc.assert(
      fc.property(ident, ident, (a, b) => {
        const same = a.key === b.key && JSON.stringify(a.options) === JSON.stringify(b.options);
        expect(controlPath({ ...base, ...a }) === controlPath({ ...base, ...b })).toBe(same);
      }),
    );
  });

  test('the runner uses it for every session, within the 108-byte socket limit once %C is expanded', () => {
    const r = new SshRunner({ host: 'server1', user: 'root' }, { ...base, key: '/etc/zfailover/id_b', options: ['UserKnownHostsFile=/etc/zfailover/known_hosts'] });
    const p = pathIn(r.sshArgv([['zfs', 'list']]));
    expect(p).toBe(controlPath({ ...base, key: '/etc/zfailover/id_b', options: ['UserKnownHostsFile=/etc/zfailover/known_hosts'] }));
    expect(p.replace('%C', 'x'.repeat(40)).length).toBeLessThan(108);
  });
});
