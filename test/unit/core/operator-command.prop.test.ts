// The printed-command builder: whatever the names and flags, sh hands zfailover/zfs/ssh exactly the intended
// words (checked by a real /bin/sh and bash), including the remote line that ssh hands to the other host's shell.
import { execFileSync } from 'node:child_process';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { commandLine, fixLine, onHost, zfailoverArgv, zfailoverLine, type JobFlags, type JobInvocation } from '../../../src/core/operator-command.js';

/** Anything sh can carry: no NUL, valid UTF-8. */
const word = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({
      unit: fc.constantFrom("'", '"', '\\', '$', '`', ' ', '\n', '\t', '-', '*', '?', '~', '!', ';', '&', '|', '(', ')', '<', '>', '#', '=', 'a', 'é'),
      maxLength: 16,
    }),
    fc.constantFrom('', '-n', '--', "'", '$(id)', '`id`', '$HOME', 'pool/a b', 'dst/foo bar copy', '\n', '*', '#x'),
  )
  .filter((s) => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s);

/** Runs `line` with `zfailover`, `zfs` and `ssh` defined as functions printing their arguments NUL-separated. */
const SHIMS = [
  `zfailover() { printf 'zfailover\\0'; printf '%s\\0' "$@"; }`,
  `zfs() { printf 'zfs\\0'; printf '%s\\0' "$@"; }`,
  // ssh: print its own arguments but the last, then run the last as the remote shell would (sh -c LINE).
  `ssh() { printf 'ssh\\0'; while [ $# -gt 1 ]; do printf '%s\\0' "$1"; shift; done; printf 'REMOTE\\0'; sh -c "zfs() { printf 'zfs\\\\0'; printf '%s\\\\0' \\"\\$@\\"; }; $1"; }`,
].join('\n');

const run = (line: string, shell = 'sh'): string[] => {
  const out = execFileSync(shell, ['-c', `${SHIMS}\n${line}`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return out.split('\0').slice(0, -1);
};

const flags: fc.Arbitrary<JobFlags> = fc.record(
  {
    recursive: fc.boolean(),
    exclude: fc.array(word, { maxLength: 2 }),
    id: word,
    sshKey: word,
    sshPort: fc.integer({ min: 1, max: 65535 }),
    sshOption: fc.array(word, { maxLength: 2 }),
    syncSnap: fc.constant(false),
    resume: fc.constant(false),
    raw: fc.boolean(),
    compress: fc.constantFrom('zstd', 'lz4'),
    bwlimit: fc.nat(),
    concurrency: fc.integer({ min: 1, max: 64 }),
    deadline: fc.integer({ min: 1, max: 100000 }),
  },
  { requiredKeys: [] },
);

const invocation: fc.Arbitrary<JobInvocation> = fc.record({
  config: fc.option(word, { nil: undefined }),
  stateDir: fc.option(word, { nil: undefined }),
  job: fc.option(word, { nil: null }),
  sides: fc.array(word, { minLength: 2, maxLength: 3 }),
  flags,
});

describe('printed commands', () => {
  fcTest.prop([fc.array(word, { minLength: 1, maxLength: 6 })], { numRuns: 60 })('commandLine: sh gets exactly the words', (argv) => {
    expect(run(`zfailover ${commandLine(argv)}`).slice(1)).toEqual(argv);
  });

  fcTest.prop([invocation, fc.constantFrom('sync', 'demote', 'promote', 'status', 'check' as const), fc.array(word, { maxLength: 2 })], { numRuns: 50 })(
    'zfailoverLine: sh gets exactly zfailoverArgv, in sh and bash',
    (inv, sub, extra) => {
      const argv = zfailoverArgv(inv, [sub], { extra });
      expect(run(zfailoverLine(inv, [sub], { extra }))).toEqual(argv);
      expect(run(zfailoverLine(inv, [sub], { extra }), 'bash')).toEqual(argv);
    },
  );

  fcTest.prop(
    [
      fc.record({
        user: fc.option(fc.constantFrom('root', 'zfo'), { nil: undefined }),
        host: fc.constantFrom('backup', '127.0.0.1', '::1'),
        port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      }),
      fc.record({
        key: fc.option(word, { nil: undefined }),
        port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        options: fc.array(word, { maxLength: 2 }),
      }),
      fc.array(word, { minLength: 1, maxLength: 4 }),
    ],
    { numRuns: 50 },
  )('onHost: ssh gets its options, the remote shell gets exactly the zfs words', (host, ssh, args) => {
    const out = run(onHost(host, ssh, [['zfs', ...args]]));
    const port = host.port ?? ssh.port;
    expect(out).toEqual([
      'ssh',
      ...(port !== undefined ? ['-p', String(port)] : []),
      ...(ssh.key !== undefined ? ['-i', ssh.key] : []),
      ...ssh.options.flatMap((o) => ['-o', o]),
      `${host.user ? `${host.user}@` : ''}${host.host}`,
      'REMOTE',
      'zfs',
      ...args,
    ]);
  });

  test('a local command is the line itself; pipelines are joined with |', () => {
    expect(
      onHost(null, {}, [
        ['zfs', 'send', 'dst/a b@s'],
        ['zfs', 'recv', 'dst/c'],
      ]),
    ).toBe("zfs send 'dst/a b@s' | zfs recv dst/c");
  });

  fcTest.prop([word, fc.string({ maxLength: 40 })], { numRuns: 40 })('fixLine: the comment never changes what runs', (w, why) => {
    expect(run(fixLine(commandLine(['zfailover', w]), why))).toEqual(['zfailover', w]);
  });

  test('the re-run line repeats every flag that shaped an ad-hoc job, --config/--state-dir first', () => {
    const inv: JobInvocation = {
      config: '/etc/z f.yml',
      stateDir: '/var/lib/z',
      job: null,
      sides: ['src/foo bar', 'dst/foo bar copy'],
      flags: { recursive: true, exclude: ['src/foo bar/tmp'], sshKey: '/k', sshPort: 2222, sshOption: ['UserKnownHostsFile=/a b'], syncSnap: false },
    };
    expect(zfailoverLine(inv, ['sync'], { extra: ['--rollback-target'] })).toBe(
      "zfailover --config '/etc/z f.yml' --state-dir /var/lib/z sync -r --exclude 'src/foo bar/tmp' --ssh-key /k --ssh-port 2222 --ssh-option 'UserKnownHostsFile=/a b' --no-sync-snap 'src/foo bar' 'dst/foo bar copy' --rollback-target",
    );
    // demote takes no sync-only flags; a named job takes -r/--exclude/--id from the config.
    expect(zfailoverLine(inv, ['demote'])).not.toContain('--no-sync-snap');
    expect(zfailoverLine({ ...inv, job: 'data-back' }, ['demote'])).toBe(
      "zfailover --config '/etc/z f.yml' --state-dir /var/lib/z demote --ssh-key /k --ssh-port 2222 --ssh-option 'UserKnownHostsFile=/a b' --job data-back",
    );
  });
});
