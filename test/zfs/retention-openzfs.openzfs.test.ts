// Retention against real OpenZFS 2.3 (qemu guest, reached over ssh): what zfs-fuse cannot show. Each label is
// taken across a whole tree in ONE `zfs snapshot` call (all its snapshots share a createtxg: atomic), a prune
// lists the source and the target once each and destroys with one batched `zfs destroy ds@a,b,c` per dataset.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { openzfsGuest, skipNote, type GuestRoots, type GuestShim, type OpenzfsGuest } from '../helpers/openzfs.js';
import { SHIM_DIR } from '../helpers/zfs-call-log.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
// Midnight UTC two days ago: hour-aligned names, and never a fixed date that the real clock (job state, snapshot
// creation times) could overtake.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
const hourly = (h: number): string => formatPeriodicSnapshotName('hourly', T0 + h * 3600_000);
const TREE = ['', '/a', '/a/c', '/b'];

describe.skipIf(g.reason)(`openzfs: atomic tree snapshots and batched destroys${skipNote(g)}`, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let shim: GuestShim;
  const dir = `${TEST_ROOT}/${uniqueName('retention-ozfs-')}`;
  const cfg = `${dir}/z.yml`;
  const run = async (args: string[], h: number) => {
    let out = '';
    const code = await main(['--config', cfg, ...args, '--now', new Date(T0 + h * 3600_000).toISOString()], {
      out: { write: (s) => void (out += s) },
      env: process.env,
    });
    return { code, out };
  };
  /** name -> createtxg of every snapshot under a root, from the guest. */
  const snaps = async (root: string): Promise<Map<string, number>> => {
    const out = await guest.exec(`zfs list -H -p -t snapshot -o name,createtxg -r ${root}`);
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.split('\t')[0] as string, Number(l.split('\t')[1])]),
    );
  };
  const calls = async (verb: string) => (await shim.calls()).map((l) => JSON.parse(l).argv as string[]).filter((a) => a[1] === verb);

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    roots = await guest.uniqueRoots('retn', { dstProps: { mountpoint: 'none' } });
    for (const ds of TREE) await guest.exec(`zfs create ${roots.src}/t${ds}`);
    shim = await guest.installShim(`${SHIM_DIR}/zfs`);
    writeFileSync(
      cfg,
      [
        `state_dir: ${dir}/state`,
        'ssh:',
        `  key: ${shim.keyFile}`,
        `  options: [${shim.sshOptions.join(', ')}]`,
        'snapshots:',
        `  - dataset: ${shim.side(`${roots.src}/t`)}`,
        '    recursive: true',
        '    schedules: {hourly: 2}',
        'jobs:',
        '  tree:',
        `    source: ${shim.side(`${roots.src}/t`)}`,
        '    recursive: true',
        '    targets:',
        `      - {name: backup, dataset: ${shim.side(`${roots.dst}/t`)}, keep: {hourly: 1}}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await shim?.remove();
    await roots?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one zfs snapshot call per label for the whole tree; all its snapshots share one txg', async () => {
    for (let h = 0; h <= 4; h++) {
      await shim.clearCalls();
      const r = await run(['snapshot'], h);
      expect(r.code, r.out).toBe(0);
      const taken = await calls('snapshot');
      expect(taken).toEqual([['zfs', 'snapshot', ...TREE.map((ds) => `${roots.src}/t${ds}@${hourly(h)}`)]]);
      const all = await snaps(`${roots.src}/t`);
      const txgs = new Set(TREE.map((ds) => all.get(`${roots.src}/t${ds}@${hourly(h)}`)));
      expect([...txgs]).toHaveLength(1);
      expect([...txgs][0]).toBeGreaterThan(0);
      if (h === 0) await guest.exec(`zfs send -R ${roots.src}/t@${hourly(0)} | zfs recv -u ${roots.dst}/t`);
    }
  });

  test('prune: one listing per side, one batched destroy per dataset, each side by its own policy', async () => {
    await shim.clearCalls();
    const r = await run(['prune'], 4);
    expect(r.code, r.out).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^OK: destroyed 8 snapshot\(s\) on 4 dataset\(s\)/);
    expect((await calls('list')).map((a) => a[a.length - 1])).toEqual([`${roots.src}/t`, `${roots.dst}/t`]);
    const destroys = (await calls('destroy')).map((a) => a.slice(2));
    // Keep 2 of 5 on the source, and hourly(0): the newest snapshot the replica has in common with it (the
    // replica keeps 1, so none of the snapshots it lacks would stay there: nothing is held back for it).
    expect(destroys.sort()).toEqual(TREE.map((ds) => [`${roots.src}/t${ds}@${hourly(1)},${hourly(2)}`]).sort());
    const src = await snaps(`${roots.src}/t`);
    for (const ds of TREE) {
      expect([...src.keys()].filter((n) => n.startsWith(`${roots.src}/t${ds}@`)).map((n) => n.split('@')[1])).toEqual([hourly(0), hourly(3), hourly(4)]);
    }
  });
});
