// The validated-config cache: a hit gives what a parse gives (data, lines), any edit is a miss, a damaged or
// foreign entry is ignored and rewritten, secrets are still refused on a hit, bad files fail exactly as before.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { buildLineTree, cacheFileFor, locateIn, stateDirInText } from '../../../src/config/config-cache.js';
import { parseConfigText } from '../../../src/config/load.js';
import { loadConfig, type LoadedConfig } from '../../../src/config/loader.js';
import { parseYaml } from '../../../src/config/yaml-doc.js';
import type { KeyPath } from '../../../src/config/problems.js';

const root = mkdtempSync(join(tmpdir(), 'zfo-cfgcache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh directory with a state dir and a config naming it. */
const setup = (body: string, mode = 0o600) => {
  const dir = join(root, `c${++n}`);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true });
  const cfg = join(dir, 'zfailover.yml');
  writeFileSync(cfg, `state_dir: ${stateDir}\n${body}`);
  chmodSync(cfg, mode);
  return { dir, stateDir, cfg, entry: cacheFileFor(stateDir, cfg) };
};

const load = (cfg: string, stateDir?: string): Promise<LoadedConfig> => loadConfig(cfg, { cache: { stateDir } });
const failure = async (p: Promise<unknown>): Promise<Error> => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('accepted');
  return e;
};

// Values the cache must carry through JSON: open threshold ranges (Infinity), parsed sides, durations, lists.
const FULL = `ssh: { port: 2222, options: [UserKnownHostsFile=/etc/zfailover/known_hosts] }
x-defaults: &defaults
  holds: true
  deadline: 60s
jobs:
  data:
    <<: *defaults
    source: root@server1:vol1/data
    targets:
      - vol2/data
      - { name: far, dataset: root@dr:2200:pool/data }
checks:
  rpo: { warning: 30m, critical: "~:2h" }
  divergence: { warning: 5 }
templates:
  operator:
    time_zone: UTC
    schedules:
      frequent: {every: 5m, keep: 24}
      daily: {keep: 14, at: "23:59"}
snapshots:
  - { dataset: vol1/data, recursive: true, use: operator }
`;

describe('hit and miss', () => {
  test('the first load parses and stores a private entry; the second answers from it with the same data and lines', async () => {
    const { cfg, stateDir, entry } = setup(FULL);
    const first = await load(cfg);
    expect(first.cached).toBeFalsy();
    expect(statSync(entry).mode & 0o777).toBe(0o600);
    const second = await load(cfg);
    expect(second.cached).toBe(true);
    const parsed = parseConfigText(readFileSync(cfg, 'utf8'), cfg, { mode: 0o600, uid: process.geteuid?.() ?? 0 });
    // Strict: Infinity stays Infinity, optional keys stay as zod left them.
    expect(isDeepStrictEqual(second.data, parsed.data)).toBe(true);
    expect(second.data.checks?.rpo?.critical?.end).toBe(7200);
    expect(second.data.checks?.divergence?.warning?.end).toBe(5);
    expect(second.data.checks?.rpo?.warning?.start).toBe(0);
    expect(second.path).toBe(cfg);
    expect(second.mode).toBe(0o600);
    expect(second.data.state_dir).toBe(stateDir);
    for (const p of [
      ['jobs', 'data', 'targets', 1, 'dataset'],
      ['jobs', 'data', 'holds'],
      ['jobs', 'data', 'nope', 'deeper'],
      ['checks', 'rpo', 'critical'],
      [],
    ] as KeyPath[]) {
      expect(second.locate(p)).toBe(parsed.locate(p));
      expect(second.error(p, 'boom').message).toBe(parsed.error(p, 'boom').message);
    }
    expect(second.error(['jobs', 'data', 'targets', 0, 'dataset'], 'pool vol2 is not imported').message).toBe(
      `config error: ${cfg}:11: jobs.data.targets[0]: pool vol2 is not imported`,
    );
  });

  test('--state-dir decides where the entry lives; a missing state directory means no entry and no error', async () => {
    const { cfg, dir, entry } = setup('jobs: {}\n');
    const other = join(dir, 'other-state');
    mkdirSync(other);
    await load(cfg, other);
    expect(existsSync(cacheFileFor(other, cfg))).toBe(true);
    expect(existsSync(entry)).toBe(false);
    expect((await load(cfg, other)).cached).toBe(true);
    const gone = join(dir, 'absent-state');
    expect((await load(cfg, gone)).data.jobs).toEqual({});
    expect((await load(cfg, gone)).cached).toBeFalsy();
    expect(existsSync(gone)).toBe(false);
  });

  test('a state_dir only a parser finds (flow style) is not cached, and still loads', async () => {
    const dir = join(root, `c${++n}`);
    mkdirSync(join(dir, 'state'), { recursive: true });
    const cfg = join(dir, 'z.yml');
    writeFileSync(cfg, `{ state_dir: ${dir}/state, jobs: {} }\n`);
    chmodSync(cfg, 0o600);
    expect((await load(cfg)).data.state_dir).toBe(`${dir}/state`);
    expect((await load(cfg)).cached).toBeFalsy();
    expect(existsSync(cacheFileFor(`${dir}/state`, cfg))).toBe(false);
  });

  test('without the cache option nothing is read or written', async () => {
    const { cfg, entry } = setup('jobs: {}\n');
    expect((await loadConfig(cfg)).cached).toBeFalsy();
    expect(existsSync(entry)).toBe(false);
  });
});

describe('invalidation', () => {
  test('a same-size edit in the same second, mtime put back: a miss with the new content', async () => {
    const { cfg } = setup('jobs:\n  aaaa: { source: vol1/a, targets: [vol2/a] }\n');
    // Whole seconds, as a file system with coarse timestamps keeps them: the mtime comes back identical.
    const second = Math.floor(Date.now() / 1000) - 10;
    utimesSync(cfg, second, second);
    await load(cfg);
    const before = statSync(cfg, { bigint: true });
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replaceAll('aaaa', 'bbbb'));
    utimesSync(cfg, second, second);
    const after = statSync(cfg, { bigint: true });
    expect([after.size, after.ino, after.mtimeNs]).toEqual([before.size, before.ino, before.mtimeNs]);
    const loaded = await load(cfg);
    expect(loaded.cached).toBeFalsy();
    expect(Object.keys(loaded.data.jobs ?? {})).toEqual(['bbbb']);
    expect(Object.keys((await load(cfg)).data.jobs ?? {})).toEqual(['bbbb']);
  });

  test('a file replaced by rename (editors, config management) is a miss', async () => {
    const { cfg } = setup('jobs: {}\n');
    await load(cfg);
    expect((await load(cfg)).cached).toBe(true);
    writeFileSync(`${cfg}.new`, readFileSync(cfg, 'utf8').replace('jobs: {}', 'log: { level: warn }'));
    chmodSync(`${cfg}.new`, 0o600);
    renameSync(`${cfg}.new`, cfg);
    const loaded = await load(cfg);
    expect(loaded.cached).toBeFalsy();
    expect(loaded.data.log?.level).toBe('warn');
  });

  test('touch alone (same text) is a miss, then a hit again', async () => {
    const { cfg } = setup('jobs: {}\n');
    await load(cfg);
    utimesSync(cfg, new Date(), new Date(Date.now() + 5000));
    expect((await load(cfg)).cached).toBeFalsy();
    expect((await load(cfg)).cached).toBe(true);
  });
});

describe('damaged or foreign entries are ignored and rewritten', () => {
  const tamper = async (change: (entry: string) => void) => {
    const { cfg, entry } = setup('jobs:\n  data: { source: vol1/a, targets: [vol2/a] }\n');
    await load(cfg);
    change(entry);
    const loaded = await load(cfg);
    expect(loaded.cached).toBeFalsy();
    expect(Object.keys(loaded.data.jobs ?? {})).toEqual(['data']);
    // Rewritten whole and private: the next run is a hit again.
    expect(statSync(entry).mode & 0o777).toBe(0o600);
    expect((await load(cfg)).cached).toBe(true);
  };

  test('not JSON', () => tamper((e) => writeFileSync(e, '{"format": "zfailover-config-ca')));
  test('empty (a power cut before the data reached the disk)', () => tamper((e) => writeFileSync(e, '')));
  test('JSON of another shape', () => tamper((e) => writeFileSync(e, '[1, 2, 3]')));
  test('written by another version', () =>
    tamper((e) => writeFileSync(e, readFileSync(e, 'utf8').replace(/"version":"[^"]*"/, '"version":"1 0.0.1 x v20.0.0"'))));
  test('for another file identity (inode)', () => tamper((e) => writeFileSync(e, readFileSync(e, 'utf8').replace(/"ino":"\d+"/, '"ino":"1"'))));
  test('for another text (same identity)', () => tamper((e) => writeFileSync(e, readFileSync(e, 'utf8').replace('vol2/a', 'vol2/b'))));
  test('readable by others (not as we wrote it)', () => tamper((e) => chmodSync(e, 0o644)));
  test('a symlink planted in its place, even to a valid entry', () =>
    tamper((e) => {
      renameSync(e, `${e}.elsewhere`);
      symlinkSync(`${e}.elsewhere`, e);
    }));
});

describe('secrets are refused on a hit as on a miss', () => {
  const EMAIL = (password: string) =>
    `alerts:\n  email:\n    host: 127.0.0.1\n    secure: none\n    user: zfo\n    ${password}\n    from: a@b.test\n    to: ops@b.test\n`;
  const inode = (p: string) => statSync(p).ino;

  test('an inline secret in a config others can read: refused on every run, the second one a hit', async () => {
    const { cfg, entry } = setup(EMAIL('password: s3cret-inline'), 0o644);
    const expected = `config holds alerts.email.password: ${cfg} is readable by other users (mode 0644); refusing it`;
    expect((await failure(load(cfg))).message).toBe(expected);
    // The entry holds what the parse validated; the refusal is decided per run from the file's mode.
    const written = inode(entry);
    expect((await failure(load(cfg))).message).toBe(expected);
    expect(inode(entry)).toBe(written);
  });

  test('a secret file opened to others after it was cached: the hit refuses it', async () => {
    const dir = join(root, `s${++n}`);
    mkdirSync(dir);
    const secret = join(dir, 'smtp.pass');
    writeFileSync(secret, 'pw-from-file\n');
    chmodSync(secret, 0o600);
    const { cfg, entry } = setup(EMAIL(`password_file: ${secret}`));
    await load(cfg);
    expect((await load(cfg)).cached).toBe(true);
    const written = inode(entry);
    chmodSync(secret, 0o644);
    expect((await failure(load(cfg))).message).toBe(`alerts.email.password_file: ${secret} is readable by other users (mode 0644); refusing it`);
    rmSync(secret);
    expect((await failure(load(cfg))).message).toBe(`alerts.email.password_file: cannot read ${secret} (no such file)`);
    expect(inode(entry)).toBe(written);
  });
});

describe('a bad config fails exactly as without the cache', () => {
  const BAD = [
    [
      'jobs:\n  data:\n    source: vol1/a\n    targets: [vol2/a]\n    largeBlocks: true\n',
      ':6: jobs.data.largeBlocks: unknown key (allowed: source, targets, recursive, exclude, sync_snapshot, deadline, concurrency, initial, resume, bookmarks, holds, rollback_target, send, transport, failover)',
    ],
    [
      'jobs:\n  data:\n    source: vol1/a\n    targets: [vol2/a]\n    deadline: soon\n',
      ":6: jobs.data.deadline: not a duration: 'soon' (use e.g. 60s, 15m; null for none)",
    ],
    ['jobs:\n  data: [\n', ':4: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ] as const;

  test.each(BAD)('%j', async (body, fragment) => {
    const { cfg, entry } = setup('jobs: {}\n');
    await load(cfg);
    expect((await load(cfg)).cached).toBe(true);
    // The edit that breaks it: the cached good version must not hide the error.
    writeFileSync(cfg, `state_dir: ${join(cfg, '..', 'state')}\n${body}`);
    const text = readFileSync(cfg, 'utf8');
    const uncached = await failure(loadConfig(cfg));
    const cached = await failure(load(cfg));
    expect(cached.message).toBe(uncached.message);
    expect(cached.message).toBe(`config error: ${cfg}${fragment}`);
    let direct = '';
    try {
      parseConfigText(text, cfg);
    } catch (e) {
      direct = (e as Error).message;
    }
    expect(cached.message).toBe(direct);
    // Twice: a refused file is never stored, so it keeps failing the same way.
    expect((await failure(load(cfg))).message).toBe(uncached.message);
    expect(readFileSync(entry, 'utf8')).not.toContain('deadline: soon');
  });
});

describe('line table', () => {
  const paths = (v: unknown, path: (string | number)[] = []): KeyPath[] => {
    const out: KeyPath[] = [path, [...path, 'zz-missing'], [...path, 7]];
    if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...path, i]), [...path, String(i)]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...path, k]));
    return out;
  };

  test.each([
    ['the full example', `state_dir: /x\n${FULL}`],
    ['merges, lists of maps, nulls, scalars', 'a: &a { b: 1, c: [1, {d: 2}] }\ne:\n  <<: *a\n  b: 3\nf:\ng: [x, *a]\n"0": zero\n'],
    ['empty', ''],
    ['a plain value at the top', 'just text\n'],
  ])('answers like the YAML document: %s', (_name, text) => {
    const yaml = parseYaml(text);
    const tree = buildLineTree(yaml.value ?? null, (p) => yaml.locate(p).line);
    expect(tree).not.toBeNull();
    const roundTripped = JSON.parse(JSON.stringify(tree));
    const all = paths(yaml.value);
    expect(all.length).toBeGreaterThan(2);
    for (const p of all) expect(locateIn(roundTripped, p), JSON.stringify(p)).toEqual(yaml.locate(p));
  });

  test('an alias bomb is not tabled', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const yaml = parseYaml(lines.join('\n'));
    expect(yaml.value).toBeUndefined();
    const wide = { list: Array.from({ length: 60_000 }, (_, i) => i) };
    expect(buildLineTree(wide, () => 1)).toBeNull();
  });
});

describe('state_dir scan', () => {
  test.each([
    ['state_dir: /var/lib/zfo\n', '/var/lib/zfo'],
    ['state_dir: "/srv/zfo" # comment\n', '/srv/zfo'],
    ["state_dir: '/srv/z fo'\r\n", '/srv/z fo'],
    ['state_dir:   /srv/zfo   # c\njobs: {}\n', '/srv/zfo'],
    ['  state_dir: /nested\n', null],
    ['state_dir: relative\n', null],
    ['state_dir: /a\nstate_dir: /b\n', null],
    ['{ state_dir: /flow }\n', null],
    ['jobs: {}\n', null],
  ])('%j -> %s', (text, dir) => expect(stateDirInText(text)).toBe(dir));
});
