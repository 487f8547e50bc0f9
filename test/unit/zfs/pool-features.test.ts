// Pool feature narrowing on real `zpool get` output from the OpenZFS 2.3 guest.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { capabilitiesFromProbes } from '../../../src/zfs/capabilities.js';
import { narrowForPool, parsePoolFeatures } from '../../../src/zfs/pool-features.js';

const FIX = new URL('../../fixtures/zfs/openzfs-2.3/', import.meta.url).pathname;
const read = (f: string): string => readFileSync(`${FIX}${f}`, 'utf8');
const caps = capabilitiesFromProbes({
  zfsUsage: read('probe-zfs-usage.txt'),
  zfsVersion: read('probe-zfs-version.txt'),
  zfsProperties: read('probe-zfs-get.txt'),
  zpoolUsage: read('probe-zpool-usage.txt'),
  zpoolUpgrade: read('probe-zpool-upgrade.txt'),
  holdsProbe: read('probe-holds.txt'),
  packageVersion: null,
});

describe('narrowForPool', () => {
  test('a pool with every feature enabled or active keeps the host capabilities', () => {
    expect(narrowForPool(caps, parsePoolFeatures(read('zpool-features-src.txt')))).toEqual(caps);
  });
  test('a `zpool create -d` pool loses resume, bookmarks, raw/encryption, large blocks, embedded data and compressed sends', () => {
    const n = narrowForPool(caps, parsePoolFeatures(read('zpool-features-disabled.txt')));
    expect(n).toMatchObject({
      resume: false,
      bookmarks: false,
      rawSend: false,
      encryption: false,
      largeBlocks: false,
      embeddedData: false,
      compressedSend: false,
    });
    expect(n).toMatchObject({ holds: true, multiSnapshot: true, recvProps: true, listParsable: true });
  });
  test('a feature missing from the output counts as unavailable', () => {
    expect(narrowForPool(caps, new Map([['bookmarks', 'active']])).bookmarks).toBe(true);
    expect(narrowForPool(caps, new Map([['bookmarks', 'active']])).resume).toBe(false);
  });
});
