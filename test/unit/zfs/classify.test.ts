// The classifier on REAL stderr captured from zfs-fuse 0.7 and OpenZFS 2.3.2 (test/fixtures/zfs/capture.sh).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { classifySshFailure, classifyZfsFailure, isAlreadyDone, isConsequentialFailure } from '../../../src/zfs/classify.js';
import { ZfsError, kindForReason, type ZfsFailureReason } from '../../../src/zfs/errors.js';

const FIXTURES = new URL('../../fixtures/zfs/', import.meta.url).pathname;

interface Case {
  readonly exit: number;
  readonly command: string;
}
const readCases = (impl: string): Map<string, Case> => {
  const m = new Map<string, Case>();
  for (const line of readFileSync(`${FIXTURES}${impl}/cases.tsv`, 'utf8').split('\n').filter(Boolean)) {
    const [name, exit, command] = line.split('\t') as [string, string, string];
    m.set(name, { exit: Number(exit), command });
  }
  return m;
};

/** argv of the zfs command in a fixture whose stderr we classify: the last `zfs <verb>` of the shell line. */
const argvOf = (command: string): string[] => {
  const zfsCalls = [...command.matchAll(/(?:^|[|;&{]\s*|&&\s*)(zfs \S+(?: [^|;&]*)?)/g)].map((m) => (m[1] as string).trim().split(/\s+/));
  return zfsCalls[zfsCalls.length - 1] ?? ['zfs'];
};

const COMMON: Record<string, ZfsFailureReason> = {
  'dataset-not-found': 'dataset-not-found',
  'get-dataset-not-found': 'dataset-not-found',
  'send-snapshot-not-found': 'snapshot-not-found',
  'destroy-snapshot-not-found': 'snapshot-not-found',
  'snapshot-exists': 'already-exists',
  'hold-exists': 'already-exists',
  'release-no-tag': 'hold-not-found',
  'hold-missing-snapshot': 'snapshot-not-found',
  'recv-target-exists': 'target-exists',
  'recv-full-force-has-snapshots': 'target-has-newer-snapshots',
  'recv-target-modified': 'target-modified',
  'recv-incremental-mismatch': 'incremental-mismatch',
  'rollback-newer-snapshots': 'target-has-newer-snapshots',
  'bad-command': 'unsupported',
  'bad-option': 'unsupported',
  'bad-property': 'unsupported',
  'recv-bad-stream': 'unknown',
  'recv-truncated-stream': 'unknown',
  'recv-no-space': 'no-space',
  'permission-denied': 'permission-denied',
  'clone-dependent': 'unknown',
  'recv-concurrent': 'receive-in-progress',
  'umount-busy': 'busy',
};

const EXPECTED: Record<string, Record<string, ZfsFailureReason>> = {
  'zfs-fuse': {
    ...COMMON,
    // zfs-fuse has no `ds@a,b` lists.
    'destroy-list-not-found': 'unsupported',
    // zfs-fuse (like OpenZFS 2.3 before "it's being held") only says busy; destroySnapshots refines it by userrefs.
    'destroy-held': 'busy',
    // zfs-fuse names the parent in this message: "most recent snapshot of POOL/src does not match".
    'recv-incremental-missing-target': 'incremental-mismatch',
  },
  'openzfs-2.3': {
    ...COMMON,
    'destroy-list-not-found': 'snapshot-not-found',
    'destroy-held': 'held',
    'recv-incremental-missing-target': 'dataset-not-found',
    'send-estimate-missing': 'snapshot-not-found',
    'resume-token-corrupt': 'resume-token-invalid',
    'recv-abort-nothing': 'resume-token-invalid',
    'recv-interrupted-resumable': 'unknown',
    'recv-partial-state': 'target-exists',
    'recv-partial-state-incremental': 'resume-state-exists',
    'resume-snapshot-gone': 'resume-token-invalid',
    'bookmark-exists': 'already-exists',
    'bookmark-missing-snapshot': 'snapshot-not-found',
    'key-not-loaded-mount': 'key-not-loaded',
    'key-not-loaded-send': 'key-not-loaded',
    'key-not-loaded-recv': 'key-not-loaded',
    'recv-unsupported-flag': 'unsupported',
  },
};

for (const [impl, expected] of Object.entries(EXPECTED)) {
  describe(`classifyZfsFailure on real ${impl} stderr`, () => {
    const cases = readCases(impl);
    for (const [name, reason] of Object.entries(expected)) {
      test(`${name} -> ${reason}`, () => {
        const c = cases.get(name);
        expect(c, `fixture ${name} missing: rerun test/fixtures/zfs/capture.sh ${impl}`).toBeDefined();
        expect(c?.exit).not.toBe(0);
        const stderr = readFileSync(`${FIXTURES}${impl}/${name}.stderr`, 'utf8');
        expect(stderr.trim()).not.toBe('');
        expect(classifyZfsFailure(stderr, argvOf(c?.command ?? ''), c?.exit ?? 1)).toBe(reason);
      });
    }

    test('every failing fixture has an expectation (none is silently unclassified)', () => {
      const failing = [...cases].filter(([, c]) => c.exit !== 0).map(([n]) => n);
      expect(failing.filter((n) => !(n in expected))).toEqual([]);
      const files = readdirSync(`${FIXTURES}${impl}`)
        .filter((f) => f.endsWith('.stderr'))
        .map((f) => f.replace(/\.stderr$/, ''));
      expect(files.sort()).toEqual([...cases.keys()].sort());
    });
  });
}

describe('classifyZfsFailure edge cases', () => {
  test('a signal death without a message is "killed" (transient)', () => {
    expect(classifyZfsFailure('', ['zfs', 'send', 'p/a@1'], null)).toBe('killed');
    expect(kindForReason('killed')).toBe('transient');
  });
  test('busy on receive means another receive is running', () => {
    expect(classifyZfsFailure('cannot receive incremental stream: dataset is busy', ['zfs', 'receive', 'p/a'], 1)).toBe('receive-in-progress');
    expect(classifyZfsFailure("cannot destroy 'p/a@s': dataset is busy", ['zfs', 'destroy', 'p/a@s'], 1)).toBe('busy');
  });
  test('an OpenZFS 2.3 stream into zfs-fuse (real text: `ssh guest zfs send src/x@s | zfs recv p/r`) needs a human', () => {
    const reason = classifyZfsFailure('cannot receive: stream has unsupported feature, feature flags = 4', ['zfs', 'recv', 'p/r'], 1);
    expect(reason).toBe('stream-unsupported');
    expect(kindForReason(reason)).toBe('permanent');
  });
  test('unknown text is unknown (permanent), never silently transient', () => {
    expect(classifyZfsFailure('something new', ['zfs', 'list'], 1)).toBe('unknown');
    expect(kindForReason('unknown')).toBe('permanent');
  });
  test('kinds follow reasons', () => {
    expect(kindForReason('busy')).toBe('transient');
    expect(kindForReason('receive-in-progress')).toBe('transient');
    expect(kindForReason('unsupported')).toBe('internal');
    expect(kindForReason('target-modified')).toBe('permanent');
  });
  test('idempotent verbs treat "already done" as success', () => {
    expect(isAlreadyDone('destroy', 'snapshot-not-found')).toBe(true);
    expect(isAlreadyDone('hold', 'already-exists')).toBe(true);
    expect(isAlreadyDone('release', 'hold-not-found')).toBe(true);
    expect(isAlreadyDone('abort', 'resume-token-invalid')).toBe(true);
    expect(isAlreadyDone('abort', 'dataset-not-found')).toBe(true);
    expect(isAlreadyDone('destroy', 'busy')).toBe(false);
  });
  test('consequential failures (broken pipe, short stream) are recognised', () => {
    expect(isConsequentialFailure("warning: cannot send 'p/a@b': Broken pipe")).toBe(true);
    // zfs-fuse's send when the receiving ssh went away (seen in test/zfs/adapter-ssh.test.ts, with SIGABRT)
    expect(isConsequentialFailure('internal error: Connection reset by peer\n')).toBe(true);
    expect(isConsequentialFailure('cannot receive new filesystem stream: invalid backup stream')).toBe(true);
    expect(isConsequentialFailure('cannot receive incremental stream: destination p/a has been modified')).toBe(false);
  });
});

describe('ZfsError', () => {
  test('one-line message naming the command, host and reason line; kind from reason', () => {
    const stderr = readFileSync(`${FIXTURES}zfs-fuse/recv-target-modified.stderr`, 'utf8');
    const e = new ZfsError({ reason: 'target-modified', argv: ['zfs', 'recv', 'POOL/dst'], host: 'root@b:22', exitCode: 1, stderr });
    expect(e.message).toBe('zfs recv on root@b:22: cannot receive incremental stream: destination POOL/dst has been modified');
    expect(e.message).not.toContain('\n');
    expect(e.kind).toBe('permanent');
    expect(e.hint).toMatch(/rollback-target/);
    expect(e.stderr).toBe(stderr.trim());
  });
});

describe('classifySshFailure (OpenSSH 9 messages)', () => {
  test.each([
    ['ssh: connect to host 127.0.0.1 port 1: Connection refused', 'unreachable'],
    ['ssh: connect to host 10.9.9.9 port 22: Connection timed out', 'unreachable'],
    ['ssh: Could not resolve hostname nohost.invalid: Name or service not known', 'unreachable'],
    ['Connection closed by 127.0.0.1 port 2222', 'unreachable'],
    ['ssh: connect to host 10.0.0.1 port 22: No route to host', 'unreachable'],
    ['Host key verification failed.', 'host-key'],
    ['@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@', 'host-key'],
    ['root@127.0.0.1: Permission denied (publickey).', 'auth'],
    ['command-line line 0: Bad configuration option: frobnicate', 'other'],
    ['unix_listener: path "/very/long/dir/0123456789abcdef0123456789abcdef01234567.XXXXXXXXXXXXXXXX" too long for Unix domain socket', 'other'],
  ])('%s -> %s', (stderr, kind) => {
    expect(classifySshFailure(stderr)?.kind).toBe(kind);
  });
  test('a remote command that itself exits 255 is not an ssh failure', () => {
    expect(classifySshFailure('internal error: /usr/lib/zfs/pyzfs.py not found')).toBeNull();
  });
});
