// send/recv argv: flags only where supported, raw for encrypted data unless opted out, -F only when asked.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Version } from '../../../src/core/versions.js';
import { receivedBytes, recvArgv, sendArgv, type SendArgvOptions } from '../../../src/zfs/argv.js';
import { capabilitiesFromProbes } from '../../../src/zfs/capabilities.js';
import { ZfsError } from '../../../src/zfs/errors.js';

const FIX = new URL('../../fixtures/zfs/', import.meta.url).pathname;
const probe = (impl: string, f: string): string => readFileSync(`${FIX}${impl}/probe-${f}.txt`, 'utf8');
const capsOf = (impl: string, version: boolean) =>
  capabilitiesFromProbes({
    zfsUsage: probe(impl, 'zfs-usage'),
    zfsVersion: version ? probe(impl, 'zfs-version') : null,
    zfsProperties: probe(impl, 'zfs-get'),
    zpoolUsage: probe(impl, 'zpool-usage'),
    zpoolUpgrade: probe(impl, 'zpool-upgrade'),
    holdsProbe: probe(impl, 'holds'),
    packageVersion: null,
  });
const OZ = capsOf('openzfs-2.3', true);
const FUSE = capsOf('zfs-fuse', false);

const v = (name: string, kind: 'snapshot' | 'bookmark' = 'snapshot'): Version => ({ kind, dataset: 'tank/a b', name, guid: '1', createtxg: 1, creation: 1 });
const plain: SendArgvOptions = { raw: 'auto', compressed: true, largeBlocks: true, embedded: true, encrypted: false };

describe('sendArgv', () => {
  test('OpenZFS: full and incremental with -c -L -e; -I for intermediates, -i otherwise', () => {
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, plain)).toEqual(['zfs', 'send', '-c', '-L', '-e', 'tank/a b@s1']);
    expect(sendArgv(OZ, { kind: 'incremental', from: v('s1'), to: v('s3'), intermediates: true }, plain)).toEqual([
      'zfs',
      'send',
      '-c',
      '-L',
      '-e',
      '-I',
      'tank/a b@s1',
      'tank/a b@s3',
    ]);
    expect(sendArgv(OZ, { kind: 'incremental', from: v('s1'), to: v('s3'), intermediates: false }, plain)).toContain('-i');
  });
  test('a decrypted stream into an encrypted dataset goes without -e (OpenZFS refuses embedded blocks there); a raw one keeps it', () => {
    // OpenZFS 2.3.2 on the guest: "cannot receive new filesystem stream: incompatible embedded data stream feature
    // with encrypted receive" (test/openzfs/peer-cases.test.ts, a plain source under an encrypted parent).
    const into = { ...plain, intoEncrypted: true };
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, into)).toEqual(['zfs', 'send', '-c', '-L', 'tank/a b@s1']);
    expect(sendArgv(OZ, { kind: 'incremental', from: v('s1'), to: v('s2'), intermediates: false }, into)).not.toContain('-e');
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...into, encrypted: true })).toEqual(['zfs', 'send', '-w', '-c', '-L', '-e', 'tank/a b@s1']);
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, intoEncrypted: false })).toContain('-e');
  });
  test('a bookmark start is always -i ds#bookmark', () => {
    expect(sendArgv(OZ, { kind: 'incremental', from: v('c', 'bookmark'), to: v('s3'), intermediates: true }, plain).slice(-3)).toEqual([
      '-i',
      'tank/a b#c',
      'tank/a b@s3',
    ]);
  });
  test('raw: encrypted datasets go raw under auto; always forces it; never sends decrypted', () => {
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, encrypted: true })).toContain('-w');
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, raw: 'always' })).toContain('-w');
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, raw: 'never', encrypted: true })).not.toContain('-w');
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, plain)).not.toContain('-w');
  });
  test('with the receiver given, only flags both ends support; a raw stream the receiver cannot take fails', () => {
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, receiver: OZ })).toEqual(['zfs', 'send', '-c', '-L', '-e', 'tank/a b@s1']);
    expect(sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, receiver: FUSE })).toEqual(['zfs', 'send', 'tank/a b@s1']);
    expect(() => sendArgv(OZ, { kind: 'full', to: v('s1') }, { ...plain, encrypted: true, receiver: FUSE })).toThrow(/receiving a raw stream/);
  });
  test('resume sends only -t TOKEN', () => {
    expect(sendArgv(OZ, { kind: 'resume', token: '1-abc', to: v('s1') }, plain)).toEqual(['zfs', 'send', '-t', '1-abc']);
  });
  test('zfs-fuse: no optional flags at all; unsupported requests fail loudly', () => {
    expect(sendArgv(FUSE, { kind: 'full', to: v('s1') }, plain)).toEqual(['zfs', 'send', 'tank/a b@s1']);
    expect(sendArgv(FUSE, { kind: 'incremental', from: v('s1'), to: v('s2'), intermediates: true }, plain)).toEqual([
      'zfs',
      'send',
      '-I',
      'tank/a b@s1',
      'tank/a b@s2',
    ]);
    expect(() => sendArgv(FUSE, { kind: 'full', to: v('s1') }, { ...plain, raw: 'always' })).toThrow(ZfsError);
    expect(() => sendArgv(FUSE, { kind: 'resume', token: 't', to: v('s1') }, plain)).toThrow(/not supported by zfs-fuse/);
    expect(() => sendArgv(FUSE, { kind: 'incremental', from: v('c', 'bookmark'), to: v('s2'), intermediates: false }, plain)).toThrow(/bookmark/);
  });
});

describe('recvArgv', () => {
  test('OpenZFS: -v -s -u, local-only properties excluded, full receives read-only, no -F by default', () => {
    expect(recvArgv(OZ, 'pool/r', { resume: true, force: false, full: true })).toEqual([
      'zfs',
      'receive',
      '-v',
      '-s',
      '-u',
      '-x',
      'zfailover:role',
      '-x',
      'zfailover:epoch',
      '-x',
      'zfailover:promoted',
      '-o',
      'readonly=on',
      'pool/r',
    ]);
    const inc = recvArgv(OZ, 'pool/r', { resume: false, force: false, full: false });
    expect(inc).not.toContain('-s');
    expect(inc).not.toContain('readonly=on');
    expect(inc).not.toContain('-F');
  });
  test('-F only when forced', () => {
    expect(recvArgv(OZ, 'pool/r', { resume: true, force: true, full: false }).slice(-2)).toEqual(['-F', 'pool/r']);
  });
  test('zfs-fuse: receive -v only', () => {
    expect(recvArgv(FUSE, 'pool/r', { resume: true, force: false, full: true })).toEqual(['zfs', 'receive', '-v', 'pool/r']);
  });
});

describe('receivedBytes', () => {
  test.each([
    ['received 312MB stream in 1 seconds (312MB/sec)', 312 * 1024 ** 2],
    ['receiving full stream of a@b into c@b\nreceived 2.05M stream in 0.43 seconds (4.76M/sec)', Math.round(2.05 * 1024 ** 2)],
    ['received 312B stream in 1 seconds (312B/sec)', 312],
    // an -I stream: one line per snapshot it carries, summed
    [
      'receiving incremental stream of a@1 into c@1\nreceived 312B stream in 1 seconds (312B/sec)\nreceiving incremental stream of a@2 into c@2\nreceived 12.0MB stream in 12 seconds (1.00MB/sec)',
      312 + 12 * 1024 ** 2,
    ],
    ['nothing', null],
  ])('%s', (text, bytes) => {
    expect(receivedBytes(text)).toBe(bytes);
  });
});
