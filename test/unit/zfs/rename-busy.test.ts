// renameDataset rides over a moment of "dataset is busy" (zfs-fuse tears a FUSE mount down after `zfs unmount`
// returns; CI saw demote's set-aside fail so) and still reports a holder that stays.
import { describe, expect, test } from 'vitest';
import { RENAME_BUSY_TRIES, renameDataset } from '../../../src/zfs/commands-dataset.js';
import { ZfsError } from '../../../src/zfs/errors.js';
import { zfsErrorFor } from '../../../src/zfs/exec-result.js';
import type { Runner } from '../../../src/zfs/types.js';

const refusing = (stderrs: string[]): { runner: Runner; calls: string[][] } => {
  const calls: string[][] = [];
  const runner = {
    label: 'local',
    exec: async (argv: readonly string[]) => {
      calls.push([...argv]);
      const stderr = stderrs.shift();
      if (stderr !== undefined) throw zfsErrorFor(argv, 'local', { exitCode: 1, stderr });
      return { stdout: '', stderr: '', exitCode: 0 };
    },
  } as unknown as Runner;
  return { runner, calls };
};

const BUSY = "cannot rename 'p/a b': dataset is busy\n";

describe('renameDataset', () => {
  test('busy twice, then done: three calls with the same argv', async () => {
    const { runner, calls } = refusing([BUSY, BUSY]);
    await renameDataset(runner, 'p/a b', 'p/a b.aside', { pauseMs: 1 });
    expect(calls).toEqual(Array(3).fill(['zfs', 'rename', 'p/a b', 'p/a b.aside']));
  });
  test('a holder that stays: the busy error after the last try', async () => {
    const { runner, calls } = refusing(Array(RENAME_BUSY_TRIES + 2).fill(BUSY));
    const e = await renameDataset(runner, 'p/a b', 'p/a b.aside', { pauseMs: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZfsError);
    expect((e as ZfsError).reason).toBe('busy');
    expect(calls).toHaveLength(RENAME_BUSY_TRIES);
  });
  test('any other refusal is not tried again', async () => {
    const { runner, calls } = refusing(["cannot rename to 'p/x': dataset already exists\n"]);
    await expect(renameDataset(runner, 'p/a', 'p/x', { pauseMs: 1 })).rejects.toBeInstanceOf(ZfsError);
    expect(calls).toHaveLength(1);
  });
  test('an abort during the pause ends the retries', async () => {
    const { runner, calls } = refusing(Array(RENAME_BUSY_TRIES).fill(BUSY));
    const ac = new AbortController();
    const p = renameDataset(runner, 'p/a', 'p/b', { pauseMs: 60_000, signal: ac.signal });
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(p).rejects.toThrow(/abort/i);
    expect(calls).toHaveLength(1);
  });
});
