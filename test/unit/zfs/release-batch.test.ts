// `release` over several snapshots: a batch that fails only because some snapshots lack the tag is done for
// those (zfs names each, in its own wording on OpenZFS and on zfs-fuse); only the others are tried one by one.
// Every cycle on zfs-fuse releases the pre-identity tag blindly, so this is one call a cycle, not one per dataset.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { release } from '../../../src/zfs/commands.js';
import { ZfsError } from '../../../src/zfs/errors.js';
import { zfsErrorFor } from '../../../src/zfs/exec-result.js';
import type { Capabilities, Runner } from '../../../src/zfs/types.js';

const fixture = (platform: string) => readFileSync(new URL(`../../fixtures/zfs/${platform}/release-no-tag.stderr`, import.meta.url), 'utf8');
/** zfs's line for one snapshot without the tag, taken from the captured fixture of each platform. */
const lineFor = (platform: string, snap: string) => fixture(platform).trim().replace('POOL/src@a', snap);

/** A runner whose `zfs release TAG NAMES...` fails for the names in `missing`, with zfs's own lines. */
const zfsWith = (platform: string, missing: Set<string>, other = '') => {
  const calls: string[][] = [];
  const runner = {
    label: 'local',
    exec: async (argv: readonly string[]) => {
      calls.push([...argv]);
      const names = argv.slice(3);
      const lines = names.filter((n) => missing.has(n)).map((n) => lineFor(platform, n));
      if (other) lines.push(other);
      if (lines.length > 0) throw zfsErrorFor(argv, 'local', { exitCode: 1, stderr: `${lines.join('\n')}\n` });
      return { stdout: '', stderr: '', exitCode: 0 };
    },
  } as unknown as Runner;
  return { runner, calls };
};

const caps = {} as Capabilities;
const names = ['p/my data@s1', 'p/my data/child@s1', 'p/other@s1'];

describe.each(['openzfs-2.3', 'zfs-fuse'])('release on %s', (platform) => {
  test('no snapshot carries the tag: one call, nothing redone', async () => {
    const { runner, calls } = zfsWith(platform, new Set(names));
    await release(runner, caps, 'zfailover_data_t', names);
    expect(calls).toEqual([['zfs', 'release', 'zfailover_data_t', ...names]]);
  });
  test('some carry it: only those are tried again, one by one', async () => {
    const { runner, calls } = zfsWith(platform, new Set([names[0]!, names[2]!]));
    await release(runner, caps, 'zfailover_data_t', names);
    expect(calls).toEqual([
      ['zfs', 'release', 'zfailover_data_t', ...names],
      ['zfs', 'release', 'zfailover_data_t', names[1]!],
    ]);
  });
  test('any other failure is not taken as done', async () => {
    const { runner } = zfsWith(platform, new Set(), "cannot release hold from snapshot 'p/other@s1': permission denied");
    await expect(release(runner, caps, 'zfailover_data_t', names)).rejects.toBeInstanceOf(ZfsError);
  });
});
