// Capabilities from the real probe outputs of zfs-fuse 0.7 and OpenZFS 2.3.2, and the per-host cache.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import {
  CAPS_TTL_MS,
  capabilitiesFromProbes,
  capsCachePath,
  flagsOf,
  loadCapabilities,
  parseCapsCache,
  usageOf,
  type CapabilityProbes,
} from '../../../src/zfs/capabilities.js';
import type { Capabilities, ExecOptions, ExecResult, ProcessSpec, Runner } from '../../../src/zfs/types.js';

const FIXTURES = new URL('../../fixtures/zfs/', import.meta.url).pathname;
const read = (impl: string, f: string): string => readFileSync(`${FIXTURES}${impl}/probe-${f}.txt`, 'utf8');

const probes = (impl: string, versionOk: boolean, packageVersion: string | null): CapabilityProbes => ({
  zfsUsage: read(impl, 'zfs-usage'),
  zfsVersion: versionOk ? read(impl, 'zfs-version') : null,
  zfsProperties: read(impl, 'zfs-get'),
  zpoolUsage: read(impl, 'zpool-usage'),
  zpoolUpgrade: read(impl, 'zpool-upgrade'),
  holdsProbe: read(impl, 'holds'),
  packageVersion,
});

describe('capabilitiesFromProbes', () => {
  test('zfs-fuse 0.7 (pool v23): an old CLI, every modern feature off', () => {
    expect(capabilitiesFromProbes(probes('zfs-fuse', false, '0.7.0-25+b1'))).toEqual({
      implementation: 'zfs-fuse',
      version: '0.7.0',
      listParsable: false,
      listTypes: false,
      bookmarks: false,
      resume: false,
      holds: true,
      holdsList: false,
      written: false,
      multiSnapshot: false,
      destroyList: false,
      recvUnmounted: false,
      recvProps: false,
      sendEstimate: false,
      rawSend: false,
      compressedSend: false,
      largeBlocks: false,
      embeddedData: false,
      encryption: false,
      poolListParsable: false,
    } satisfies Capabilities);
  });

  test('OpenZFS 2.3.2: everything on', () => {
    const c = capabilitiesFromProbes(probes('openzfs-2.3', true, null));
    expect(c.implementation).toBe('openzfs');
    expect(c.version).toBe('2.3.2');
    const off = Object.entries(c).filter(([, v]) => v === false);
    expect(off).toEqual([]);
  });

  test('zfs-fuse without dpkg still gets an honest version', () => {
    expect(capabilitiesFromProbes(probes('zfs-fuse', false, null)).version).toBe('pool-v23');
  });

  test('usage parsing: flags of one entry, continuation lines included', () => {
    const u = read('openzfs-2.3', 'zfs-usage');
    expect([...flagsOf(usageOf(u, 'receive'))].sort().join('')).toBe('AFMdehnosuvx'.split('').sort().join(''));
    expect(flagsOf(usageOf(read('zfs-fuse', 'zfs-usage'), 'send'))).toEqual(new Set(['R', 'D', 'p', 'i', 'I']));
    expect(usageOf(u, 'nonexistent')).toBe('');
  });
});

describe('capability cache', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const caps = capabilitiesFromProbes(probes('zfs-fuse', false, '0.7.0-25+b1'));
  /** A runner that answers the probes from the zfs-fuse fixtures and counts calls. */
  const fixtureRunner = (): Runner & { calls: string[][] } => {
    const answers: Record<string, [number, string]> = {
      '-?': [0, read('zfs-fuse', 'zfs-usage')],
      version: [2, read('zfs-fuse', 'zfs-version')],
      get: [2, read('zfs-fuse', 'zfs-get')],
      upgrade: [0, read('zfs-fuse', 'zpool-upgrade')],
      holds: [255, read('zfs-fuse', 'holds')],
    };
    const calls: string[][] = [];
    return {
      label: 'root@example:22',
      remote: { host: 'example', user: 'root', port: 22 },
      calls,
      async exec(argv: readonly string[], _o?: ExecOptions): Promise<ExecResult> {
        calls.push([...argv]);
        if (argv[0] === 'dpkg-query') return { argv, exitCode: 0, stdout: '0.7.0-25+b1', stderr: '' };
        const key = argv[0] === 'zpool' && argv[1] === '-?' ? 'zpool-?' : (argv[1] as string);
        if (key === 'zpool-?') return { argv, exitCode: 0, stdout: read('zfs-fuse', 'zpool-usage'), stderr: '' };
        const [code, text] = answers[key] ?? [1, 'unexpected'];
        return { argv, exitCode: code, stdout: code === 0 ? text : '', stderr: code === 0 ? '' : text };
      },
      processes: (): ProcessSpec[] => [],
      close: async () => {},
    };
  };

  test('detects once, then serves from the cache for an hour; a corrupt cache is re-detected', async () => {
    dir = mkdtempSync(`${tmpdir()}/zfo-caps-`);
    const r = fixtureRunner();
    const t0 = 1_800_000_000_000;
    expect(await loadCapabilities(r, dir, t0)).toEqual(caps);
    const n = r.calls.length;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(await loadCapabilities(r, dir, t0 + CAPS_TTL_MS - 1)).toEqual(caps);
    expect(r.calls.length).toBe(n);
    expect(await loadCapabilities(r, dir, t0 + CAPS_TTL_MS)).toEqual(caps);
    expect(r.calls.length).toBe(2 * n);
    const path = capsCachePath(dir, r.label);
    writeFileSync(path, '{"detectedAt": 1, "caps": {"implementation": "zfs-fuse"');
    expect(await loadCapabilities(r, dir, t0 + CAPS_TTL_MS + 1)).toEqual(caps);
    expect(r.calls.length).toBe(3 * n);
    expect(parseCapsCache(readFileSync(path, 'utf8'))?.caps).toEqual(caps);
  });

  test('parseCapsCache rejects incomplete or mistyped records', () => {
    expect(parseCapsCache('not json')).toBeNull();
    expect(parseCapsCache(JSON.stringify({ detectedAt: 1, caps: { ...caps, bookmarks: 'yes' } }))).toBeNull();
    expect(parseCapsCache(JSON.stringify({ detectedAt: 1, caps: { ...caps, implementation: 'solaris' } }))).toBeNull();
    expect(parseCapsCache(JSON.stringify({ detectedAt: 1, caps }))?.caps).toEqual(caps);
  });
});
