// Pure pieces of the verb functions: resume-token decoding (real OpenZFS 2.3 output) and destroy batching.
import { readFileSync } from 'node:fs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { parseResumeTokenInfo } from '../../../src/zfs/commands-dataset.js';
import { destroyBatches, snapshotBatches } from '../../../src/zfs/commands.js';

const FIX = new URL('../../fixtures/zfs/', import.meta.url).pathname;

describe('parseResumeTokenInfo', () => {
  test('OpenZFS 2.3 `zfs send -nvt` of an interrupted full stream', () => {
    expect(parseResumeTokenInfo(readFileSync(`${FIX}openzfs-2.3/send-nvt.txt`, 'utf8'))).toEqual({
      toGuid: BigInt('0xc2ac86815d780d50').toString(),
      fromGuid: null,
      toName: 'POOL/a@s2',
      bytes: 0x60da8,
      flags: new Set(),
    });
  });
  test('an incremental token carries fromguid; garbage gives null', () => {
    const text =
      'resume token contents:\nnvlist version: 0\n\tfromguid = 0x10\n\tobject = 0x1\n\toffset = 0x0\n\tbytes = 0x0\n\ttoguid = 0xffffffffffffffff\n\ttoname = p/a@b\n';
    expect(parseResumeTokenInfo(text)).toEqual({ toGuid: '18446744073709551615', fromGuid: '16', toName: 'p/a@b', bytes: 0, flags: new Set() });
    expect(parseResumeTokenInfo('cannot resume send: resume token is corrupt')).toBeNull();
  });
  test('a dataset name with blanks is read whole (it was cut at the first blank: every such token was aborted and resent in full)', () => {
    const text =
      'resume token contents:\nnvlist version: 0\n\tobject = 0x1\n\toffset = 0x0\n\tbytes = 0x10\n\ttoguid = 0x20\n\ttoname = src/pc x/pc data@zfailover-sync_j_h_1  \n';
    expect(parseResumeTokenInfo(text)).toMatchObject({ toGuid: '32', fromGuid: null, toName: 'src/pc x/pc data@zfailover-sync_j_h_1', bytes: 16 });
  });
});

describe('destroyBatches', () => {
  fcTest.prop([fc.array(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,200}$/), { maxLength: 2000 })])(
    'covers every name once, in order, each argument below 64 KB',
    (names) => {
      const batches = destroyBatches('tank/a', names);
      expect(batches.flatMap((b) => b.slice('tank/a@'.length).split(','))).toEqual(names.length ? names : []);
      for (const b of batches) expect(b.length).toBeLessThanOrEqual(60_000 + 210);
    },
  );
});

describe('snapshotBatches', () => {
  test('each batch names a dataset at most once, order kept within a dataset', () => {
    expect(snapshotBatches(['a@1', 'b@1', 'a@2', 'a@3', 'c@1'])).toEqual([['a@1', 'b@1', 'c@1'], ['a@2'], ['a@3']]);
    expect(snapshotBatches([])).toEqual([]);
  });
});
