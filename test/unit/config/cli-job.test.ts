// Ad-hoc jobs from `zfailover sync SOURCE TARGET...`: stable valid ids, config ssh settings, usage errors.
import { createHash } from 'node:crypto';
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { adhocJobId, jobFromCli } from '../../../src/config/cli-job.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { SyncFlags } from '../../../src/config/overrides.js';
import { isValidId } from '../../../src/core/names.js';
import { UsageError } from '../../../src/errors.js';
import { formatSide, parseSide } from '../../../src/zfs/side.js';

const NO_FLAGS: SyncFlags = { syncSnap: true, resume: true, bookmarks: true, holds: true };

const component = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,10}$/).filter((s) => s !== '.' && s !== '..');
const pool = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/).filter((p) => !/^(mirror|raidz[123]?|draid|spare|log|cache|special|dedup|c[0-9].*)$/.test(p));
const dataset = fc.tuple(pool, fc.array(component, { maxLength: 3 })).map(([p, cs]) => [p, ...cs].join('/'));
const host = fc.option(
  fc.record({
    user: fc.option(fc.constantFrom('root', 'zfo'), { nil: undefined }),
    host: fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}$/),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  }),
  { nil: null },
);
const sideSpec = fc.tuple(host, dataset).map(([h, ds]) => (h ? `${h.user ? `${h.user}@` : ''}${h.host}${h.port ? `:${h.port}` : ''}:${ds}` : ds));

describe('ad-hoc job ids', () => {
  propTest.prop([sideSpec, fc.array(sideSpec, { minLength: 1, maxLength: 3 })])(
    'are valid ids, stable, and never from a look-alike of the name',
    (src, dsts) => {
      const id = adhocJobId(
        parseSide(src),
        dsts.map((d) => parseSide(d)),
      );
      expect(id).toMatch(/^adhoc-[0-9a-f]{8}$/);
      expect(isValidId(id)).toBe(true);
      // Blanks are part of a ZFS name: a padded spec is refused (bad pool/host start, tab), never trimmed to `src`.
      expect(() => parseSide(` ${src}`)).toThrow(UsageError);
      for (const d of dsts) expect(() => parseSide(`${d}\t`)).toThrow(UsageError);
      // Same sides through a format/parse round trip: same job, same lock, same sync snapshots.
      expect(
        adhocJobId(
          parseSide(formatSide(parseSide(src))),
          dsts.map((d) => parseSide(formatSide(parseSide(d)))),
        ),
      ).toBe(id);
    },
  );

  propTest.prop([sideSpec, sideSpec, sideSpec])('change when a side changes', (src, a, b) => {
    fc.pre(formatSide(parseSide(a)) !== formatSide(parseSide(b)));
    expect(adhocJobId(parseSide(src), [parseSide(a)])).not.toBe(adhocJobId(parseSide(src), [parseSide(b)]));
  });

  test('a known value, so ids survive upgrades (they name locks, state files and sync snapshots)', () => {
    const id = adhocJobId(parseSide('root@server1:vol1/data'), [parseSide('vol2/data')]);
    expect(id).toBe(`adhoc-${createHash('sha256').update('root@server1:vol1/data\0vol2/data').digest('hex').slice(0, 8)}`);
  });
});

describe('jobFromCli', () => {
  test('defaults, positional target ids, derived id, ssh from the config with CLI overrides', () => {
    const config = parseConfigText('ssh: { key: /root/.ssh/zfo, port: 2200, options: [IdentitiesOnly=yes] }\n', '/c.yml');
    const job = jobFromCli({
      source: 'root@server1:vol1/data',
      targets: ['vol2/data', 'backup:vol3/data'],
      opts: { ...NO_FLAGS, sshPort: 22 },
      config,
      stateDir: '/var/lib/zfailover',
    });
    expect(job).toMatchObject({
      id: adhocJobId(parseSide('root@server1:vol1/data'), [parseSide('vol2/data'), parseSide('backup:vol3/data')]),
      adhoc: true,
      targets: [
        { id: 't1', side: { host: null, dataset: 'vol2/data' } },
        { id: 't2', side: { host: { host: 'backup' }, dataset: 'vol3/data' } },
      ],
      recursive: false,
      exclude: [],
      syncSnapshot: true,
      deadline: null,
      holds: true,
      ssh: { key: '/root/.ssh/zfo', port: 22, options: ['IdentitiesOnly=yes'], controlDir: '/var/lib/zfailover/ssh' },
    });
  });

  test('every flag maps onto the job', () => {
    const job = jobFromCli({
      source: 'tank/a',
      targets: ['h:tank/b'],
      opts: {
        syncSnap: false,
        resume: false,
        bookmarks: false,
        holds: false,
        recursive: true,
        exclude: ['tank/a/tmp'],
        id: 'nightly',
        deadline: 45,
        raw: false,
        compress: 'zstd',
        mbuffer: true,
        bwlimit: 2048,
        initial: 'newest',
        rollbackTarget: true,
        sshKey: '/k',
        sshOption: ['Compression=no'],
      },
      stateDir: '/s',
    });
    expect(job).toMatchObject({
      id: 'nightly',
      recursive: true,
      exclude: ['tank/a/tmp'],
      syncSnapshot: false,
      resume: false,
      bookmarks: false,
      holds: false,
      deadline: 45,
      initial: 'newest',
      rollbackTarget: true,
      send: { raw: 'never' },
      transport: { compress: 'zstd', mbuffer: true, bwlimit: 2048 },
      ssh: { key: '/k', options: ['Compression=no'] },
    });
  });

  const usage: { name: string; source?: string; targets: string[]; opts?: Partial<SyncFlags>; message: string }[] = [
    { name: 'no source', targets: [], message: 'sync needs SOURCE and TARGET (or --job NAME / --all)' },
    { name: 'no target', source: 'tank/a', targets: [], message: 'sync needs at least one TARGET after SOURCE' },
    { name: 'bad side', source: 'tank/a', targets: ['host:9tank/b'], message: "invalid target '9tank/b': pool name must begin with a letter" },
    {
      name: 'bad --id',
      source: 'tank/a',
      targets: ['tank/b'],
      opts: { id: 'my_job' },
      message: "invalid --id 'my_job': use letters, digits, '.' and '-', starting with a letter or digit, at most 48 characters, no '_'",
    },
    { name: 'target is the source', source: 'tank/a', targets: ['tank/b', 'tank/a'], message: 'TARGET 2: target tank/a is the source itself' },
    {
      name: 'target inside the source',
      source: 'h:tank/a',
      targets: ['root@h:tank/a/b'],
      opts: { recursive: true },
      message: 'TARGET 1: target root@h:tank/a/b is inside the source tree h:tank/a',
    },
    {
      name: '--exclude outside the source',
      source: 'tank/a',
      targets: ['tank/b'],
      opts: { recursive: true, exclude: ['tank/c'] },
      message: "--exclude: 'tank/c' is not below the source tank/a",
    },
    {
      name: '--exclude without -r',
      source: 'tank/a',
      targets: ['tank/b'],
      opts: { exclude: ['tank/a/c'] },
      message: '--exclude: exclude needs recursive replication (recursive: true, or -r)',
    },
    {
      name: 'bad --exclude name',
      source: 'tank/a',
      targets: ['tank/b'],
      opts: { recursive: true, exclude: ['tank/a@snap'] },
      message: "invalid --exclude 'tank/a@snap': a dataset, not a snapshot or bookmark, is expected",
    },
    {
      name: 'bad --compress',
      source: 'tank/a',
      targets: ['tank/b'],
      opts: { compress: 'gzip' },
      message: "--compress: expected one of none, zstd, lz4, got 'gzip'",
    },
    {
      name: 'insecure --ssh-option',
      source: 'tank/a',
      targets: ['h:tank/b'],
      opts: { sshOption: ['StrictHostKeyChecking=off'] },
      message:
        "--ssh-option: ssh option 'StrictHostKeyChecking' is not allowed with this value: host keys must stay checked (use accept-new, or pin keys with UserKnownHostsFile=FILE)",
    },
  ];
  test.each(usage)('usage error: $name', ({ source, targets, opts, message }) => {
    const run = () => jobFromCli({ source, targets, opts: { ...NO_FLAGS, ...opts }, stateDir: '/s' });
    expect(run).toThrow(UsageError);
    expect(run).toThrow(new UsageError(message));
  });
});
