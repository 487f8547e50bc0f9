// Resolution of config jobs: defaults, precedence (CLI > config > built-in), ssh settings, unknown jobs.
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigFileError } from '../../../src/config/problems.js';
import { resolveAllJobs, resolveJob, resolveSsh, resolveStateDir } from '../../../src/config/resolve.js';
import { UsageError } from '../../../src/errors.js';
import { DEFAULT_SEND, DEFAULT_TRANSPORT } from '../../../src/config/job-spec.js';
import type { SyncFlags } from '../../../src/config/overrides.js';

const FILE = '/etc/zfailover/zfailover.yml';
const load = (lines: string[]) => parseConfigText(`${lines.join('\n')}\n`, FILE);
/** What commander gives when no flag is passed (`--no-x` flags default to true). */
const NO_FLAGS: SyncFlags = { syncSnap: true, resume: true, bookmarks: true, holds: true };

const minimal = load(['jobs:', '  data:', '    source: root@server1:vol1/data', '    targets: [vol2/data, backup:2222:vol3/data]']);

describe('resolveJob', () => {
  test('built-in defaults fill what the file leaves out; targets default to t1, t2', () => {
    const job = resolveJob(minimal, 'data', { stateDir: '/var/lib/zfailover' });
    expect(job).toEqual({
      id: 'data',
      adhoc: false,
      source: { host: { user: 'root', host: 'server1' }, dataset: 'vol1/data' },
      targets: [
        { id: 't1', side: { host: null, dataset: 'vol2/data' } },
        { id: 't2', side: { host: { host: 'backup', port: 2222 }, dataset: 'vol3/data' } },
      ],
      recursive: false,
      exclude: [],
      syncSnapshot: true,
      deadline: null,
      initial: 'all',
      resume: true,
      bookmarks: true,
      holds: true,
      rollbackTarget: false,
      send: DEFAULT_SEND,
      transport: DEFAULT_TRANSPORT,
      ssh: { options: [], controlDir: '/var/lib/zfailover/ssh', controlPersist: 60, connectTimeout: 10 },
      flags: {},
    });
  });

  test('config values are converted (durations to seconds, sizes to bytes) and kept', () => {
    const loaded = load([
      'ssh: { key: /root/.ssh/zfo, port: 2200, options: [IdentitiesOnly=yes], control_persist: 5m, connect_timeout: 3s }',
      'jobs:',
      '  data:',
      '    source: vol1/data',
      '    targets:',
      '      - { name: standby, dataset: vol2/data, keep: { hourly: 24 } }',
      '    recursive: true',
      '    exclude: [vol1/data/tmp]',
      '    sync_snapshot: false',
      '    deadline: 1m30s',
      '    initial: newest',
      '    resume: false',
      '    bookmarks: false',
      '    holds: false',
      '    rollback_target: true',
      '    send: { raw: never, compressed: false, large_blocks: false, embedded: false }',
      '    transport: { compress: zstd, mbuffer: true, mbuffer_size: 64M, bwlimit: 10M }',
    ]);
    const job = resolveJob(loaded, 'data', { stateDir: '/srv/zfo' });
    expect(job).toMatchObject({
      targets: [{ id: 'standby', side: { host: null, dataset: 'vol2/data' } }],
      recursive: true,
      exclude: ['vol1/data/tmp'],
      syncSnapshot: false,
      deadline: 90,
      initial: 'newest',
      resume: false,
      bookmarks: false,
      holds: false,
      rollbackTarget: true,
      send: { raw: 'never', compressed: false, largeBlocks: false, embedded: false },
      transport: { compress: 'zstd', mbuffer: true, mbufferSize: 64 * 1024 ** 2, bwlimit: 10 * 1024 ** 2 },
      ssh: { key: '/root/.ssh/zfo', port: 2200, options: ['IdentitiesOnly=yes'], controlDir: '/srv/zfo/ssh', controlPersist: 300, connectTimeout: 3 },
    });
    // The replica retention policy is the retention module's value, passed through untouched.
    expect(job.targets[0]?.keep).toBeDefined();
    expect(job.targets[0]?.keep).toEqual(loaded.data.jobs?.['data']?.targets[0]?.keep);
  });

  test('CLI flags override the config; --ssh-option goes first because ssh keeps the first value', () => {
    const loaded = load([
      'ssh: { key: /root/.ssh/a, options: [UserKnownHostsFile=/etc/zfailover/known_hosts] }',
      'jobs:',
      '  data:',
      '    source: vol1/data',
      '    targets: [h:vol2/data]',
      '    deadline: 60s',
    ]);
    const job = resolveJob(loaded, 'data', {
      stateDir: '/var/lib/zfailover',
      overrides: {
        ...NO_FLAGS,
        deadline: 20,
        sshKey: '/tmp/k',
        sshOption: ['UserKnownHostsFile=/tmp/kh'],
        resume: false,
        raw: true,
        compress: 'lz4',
        mbuffer: true,
        bwlimit: 1000,
        concurrency: 4,
        rollbackTarget: true,
        syncSnap: false,
      },
    });
    expect(job).toMatchObject({
      deadline: 20,
      concurrency: 4,
      resume: false,
      syncSnapshot: false,
      rollbackTarget: true,
      send: { raw: 'always' },
      transport: { compress: 'lz4', mbuffer: true, bwlimit: 1000 },
      ssh: { key: '/tmp/k', options: ['UserKnownHostsFile=/tmp/kh', 'UserKnownHostsFile=/etc/zfailover/known_hosts'] },
    });
    // Defaults of commander's --no-x flags (true) do not override a config that says false.
    const off = load(['jobs:', '  data:', '    source: vol1/data', '    targets: [h:vol2/data]', '    holds: false']);
    expect(resolveJob(off, 'data', { stateDir: '/s', overrides: NO_FLAGS }).holds).toBe(false);
  });

  test('flags that define an ad-hoc job are refused with --job', () => {
    expect(() => resolveJob(minimal, 'data', { stateDir: '/s', overrides: { ...NO_FLAGS, recursive: true, exclude: ['vol1/data/x'] } })).toThrow(
      new UsageError("-r, --exclude only apply to ad-hoc runs; set recursive/exclude in job 'data' of the config"),
    );
  });

  test('bad override values are usage errors', () => {
    expect(() => resolveJob(minimal, 'data', { stateDir: '/s', overrides: { ...NO_FLAGS, compress: 'gzip' } })).toThrow(
      "--compress: expected one of none, zstd, lz4, got 'gzip'",
    );
    expect(() => resolveJob(minimal, 'data', { stateDir: '/s', overrides: { ...NO_FLAGS, initial: 'some' } })).toThrow(
      "--initial: expected one of all, newest, got 'some'",
    );
    expect(() => resolveJob(minimal, 'data', { stateDir: '/s', overrides: { ...NO_FLAGS, sshOption: ['StrictHostKeyChecking=no'] } })).toThrow(UsageError);
  });

  test('an unknown job is a config error listing the known jobs', () => {
    const two = load(['jobs:', '  data:', '    source: vol1/data', '    targets: [vol2/data]', '  home:', '    source: vol1/home', '    targets: [vol2/home]']);
    let err: unknown;
    try {
      resolveJob(two, 'dat', { stateDir: '/s' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigFileError);
    expect((err as Error).message).toBe(`config error: ${FILE}: no job 'dat': known jobs: data, home`);
    expect(() => resolveJob(two, 'constructor', { stateDir: '/s' })).toThrow("no job 'constructor'");
    expect(() => resolveJob(load(['jobs: {}']), 'x', { stateDir: '/s' })).toThrow(`config error: ${FILE}: no job 'x': the config defines no jobs`);
  });

  test('resolveAllJobs keeps file order', () => {
    const two = load(['jobs:', '  zeta:', '    source: vol1/z', '    targets: [vol2/z]', '  alpha:', '    source: vol1/a', '    targets: [vol2/a]']);
    expect(resolveAllJobs(two, { stateDir: '/s' }).map((j) => j.id)).toEqual(['zeta', 'alpha']);
  });
});

describe('resolveStateDir', () => {
  test('--state-dir > config state_dir > /var/lib/zfailover; a relative flag is taken from cwd', () => {
    const withDir = load(['state_dir: /srv/zfo']);
    expect(resolveStateDir('/tmp/s', withDir)).toBe('/tmp/s');
    expect(resolveStateDir('rel/s', withDir, '/home/op')).toBe('/home/op/rel/s');
    expect(resolveStateDir(undefined, withDir)).toBe('/srv/zfo');
    expect(resolveStateDir(undefined, minimal)).toBe('/var/lib/zfailover');
    expect(resolveStateDir(undefined, null)).toBe('/var/lib/zfailover');
  });

  test('ssh control sockets live in <state>/ssh', () => {
    expect(resolveSsh(null, '/tmp/x').controlDir).toBe('/tmp/x/ssh');
  });
});

describe('identity: the installation identity in owned names (issue 12)', () => {
  test("a pinned identity reaches every job; without it the cycle takes the state dir's", () => {
    const pinned = load(['identity: standby-east', 'jobs:', '  data:', '    source: vol1/data', '    targets: [vol2/data]']);
    expect(resolveJob(pinned, 'data', { stateDir: '/var/lib/zfailover' }).installation).toBe('standby-east');
    expect(resolveJob(minimal, 'data', { stateDir: '/var/lib/zfailover' }).installation).toBeUndefined();
  });
  test('an identity that would break the name fields is one config error line', () => {
    for (const bad of ['a_b', 'east/1', '-x']) {
      expect(() => load([`identity: ${bad}`, 'jobs: {}'])).toThrow(ConfigFileError);
      try {
        load([`identity: ${bad}`]);
      } catch (e) {
        expect((e as Error).message).toMatch(/:1: identity: invalid identity/);
        expect((e as Error).message.split('\n')).toHaveLength(1);
      }
    }
  });
});
