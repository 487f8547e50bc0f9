// The commands a promote/demote plan prints (dry run, steps, failures) are quoted by the one builder: pasted into
// sh on that side's host they run on the exact dataset, blanks and quotes included (they were joined unquoted).
import { execaSync } from 'execa';
import { describe, expect, test } from 'vitest';
import { describeOp, opArgv, type ZfsOp } from '../../../src/core/failover/ops.js';

const words = (line: string): string[] => execaSync('sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`]).stdout.split('\n');

describe('describeOp', () => {
  const ds = "pool/my  data's $(id)";
  const ops: ZfsOp[] = [
    { op: 'abort-resume', dataset: ds },
    { op: 'set', dataset: ds, props: { 'zfailover:role': 'primary', 'zfailover:epoch': '1' } },
    { op: 'inherit', dataset: ds, prop: 'zfailover:promoted' },
    { op: 'mount', dataset: ds },
    { op: 'unmount', dataset: ds },
    { op: 'snapshot', snapshot: `${ds}@keep`, recursive: true },
    { op: 'rollback', snapshot: `${ds}@s1` },
    { op: 'rename', from: ds, to: `${ds}.diverged` },
    { op: 'clone', snapshot: `${ds}@s1`, dataset: `${ds} 2`, props: { readonly: 'on' } },
    { op: 'promote-clone', dataset: `${ds} 2` },
  ];
  test.each(ops.map((o) => [o.op, o] as const))('%s: sh reads back the exact argv', (_n, o) => {
    expect(words(describeOp(o))).toEqual(opArgv(o));
  });
  test('plain names stay readable', () => {
    expect(describeOp({ op: 'abort-resume', dataset: 'b/data' })).toBe('zfs receive -A b/data');
    expect(describeOp({ op: 'abort-resume', dataset: ds })).toBe(`zfs receive -A 'pool/my  data'\\''s $(id)'`);
  });
});
