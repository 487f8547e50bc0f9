// A command that prints more than STDOUT_LIMIT (a hostile replica's listing, a broken zfs) is stopped and
// refused with one line, instead of being read whole into memory (issue 12: a 300 MB listing took 937 MB RSS).
import { describe, expect, it } from 'vitest';
import { ZfsError } from '../../../src/zfs/errors.js';
import { LocalRunner } from '../../../src/zfs/runner-local.js';
import { spawnCapture, STDOUT_LIMIT } from '../../../src/zfs/spawn.js';

describe('bounded stdout', () => {
  it('stops the command once stdout passes the limit and keeps no more than the limit', async () => {
    const r = await spawnCapture('sh', ['-c', 'head -c 50000000 /dev/zero'], { maxStdoutBytes: 1 << 20 });
    expect(r.overflowed).toBe(true);
    expect(r.stdout).toBe('');
    const small = await spawnCapture('sh', ['-c', 'head -c 1000 /dev/zero'], { maxStdoutBytes: 1 << 20 });
    expect(small.overflowed).toBeUndefined();
    expect(small.stdout.length).toBe(1000);
  });

  it('the runner refuses it with one line (bad-output), whatever the exit status', async () => {
    const before = process.memoryUsage().rss;
    const err = await new LocalRunner().exec(['sh', '-c', `head -c ${STDOUT_LIMIT + 4096} /dev/zero; exit 0`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZfsError);
    expect((err as ZfsError).reason).toBe('bad-output');
    expect((err as Error).message).toBe('sh -c printed more than 128 MiB: stopped and refused (not read into memory)');
    // Held at most the limit, once, never an unbounded amount.
    expect(process.memoryUsage().rss - before).toBeLessThan(STDOUT_LIMIT + 96 * 1024 * 1024);
  }, 60_000);
});
