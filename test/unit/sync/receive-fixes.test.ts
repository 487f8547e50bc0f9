// The fixes a failed receive gets from the sync (src/sync/receive-fixes.ts): built for the target's host with
// the job's ssh, quoted by the one builder, so sh parses them back to the exact argv (names with blanks and quotes).
import { execaSync } from 'execa';
import { describe, expect, test } from 'vitest';
import { ZfsError } from '../../../src/zfs/errors.js';
import { needsEncryptionRoot, withReceiveFix } from '../../../src/sync/receive-fixes.js';

const words = (line: string): string[] => execaSync('sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`]).stdout.split('\n');
const job = {
  ssh: {
    key: '/etc/zfailover/id ed25519',
    port: 2222,
    options: ['UserKnownHostsFile=/etc/zfailover/known hosts'],
    controlDir: '/run/zfailover',
    controlPersist: 60,
    connectTimeout: 10,
  },
};
const host = { user: 'root', host: 'standby', port: 2222 };
// OpenZFS 2.3.2, an incremental non-raw receive into a replica whose inherited key is unloaded (the guest, peer-cases).
const refused = (target: string, argv = ['zfs', 'receive', '-v', '-s', '-u', target]): ZfsError =>
  new ZfsError({
    reason: 'key-not-loaded',
    argv,
    host: 'root@standby:2222',
    exitCode: 1,
    stderr: `cannot receive incremental stream: inherited key must be loaded`,
  });

describe('key-not-loaded on a receive: load the key of the replica encryption root on the target host', () => {
  test.each([
    ['dst/vault/plain', 'dst/vault'],
    ["dst/my vault/it's here", 'dst/my vault'],
  ])('%s', (target, root) => {
    const e = withReceiveFix(refused(target), job, host, target, root);
    expect(e.reason).toBe('key-not-loaded');
    const [command, why] = e.hint!.split('  # ');
    const argv = words(command!);
    // ssh with the job's key, port and options, then the remote line, quoted once more.
    expect(argv.slice(0, 5)).toEqual(['ssh', '-p', '2222', '-i', '/etc/zfailover/id ed25519']);
    expect(argv).toContain('UserKnownHostsFile=/etc/zfailover/known hosts');
    expect(argv.at(-2)).toBe('root@standby');
    expect(words(argv.at(-1)!)).toEqual(['zfs', 'load-key', root]);
    expect(why).toMatch(/^loads the key of .*, the replica's encryption root; the next run sends$/);
  });
  test('locally the line is the bare zfs command', () => {
    const e = withReceiveFix(refused('tank/vault/x'), job, null, 'tank/vault/x', 'tank/vault');
    expect(words(e.hint!.split('  # ')[0]!)).toEqual(['zfs', 'load-key', 'tank/vault']);
  });
  test('the adapter hint stays where the sync knows nothing better: no encryption root read, a send', () => {
    const adapter = refused('dst/x').hint;
    expect(withReceiveFix(refused('dst/x'), job, host, 'dst/x', null).hint).toBe(adapter);
    const send = refused('src/x@s', ['zfs', 'send', 'src/x@s']);
    expect(withReceiveFix(send, job, host, 'dst/x', 'dst').hint).toBe(send.hint);
  });
});

test('only a receive refused for its key asks for the encryption root', () => {
  expect(needsEncryptionRoot(refused('dst/x'))).toBe(true);
  expect(needsEncryptionRoot(refused('src/x@s', ['zfs', 'send', 'src/x@s']))).toBe(false);
  expect(needsEncryptionRoot(new Error('x'))).toBe(false);
});

describe('resume-state-exists: drop the partial receive on the target host', () => {
  test('ssh line with the job settings', () => {
    const e = new ZfsError({ reason: 'resume-state-exists', argv: ['zfs', 'receive', '-s', 'dst/a b'], host: 'root@standby:2222', exitCode: 1, stderr: '' });
    const fixed = withReceiveFix(e, job, host, 'dst/a b', null);
    const [command, why] = fixed.hint!.split('  # ');
    expect(words(words(command!).at(-1)!)).toEqual(['zfs', 'receive', '-A', 'dst/a b']);
    expect(why).toBe('drops the partial receive; otherwise the next run resumes it');
  });
});
