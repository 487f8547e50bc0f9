// Comparing a replica with its source the way an operator would trust: file checksums of a clone of the
// replica's newest snapshot (the replica itself stays unmounted and untouched), and snapshot GUIDs.
import { execa } from 'execa';
import { TEST_ROOT, snapshotGuids, treeChecksums, uniqueName, zfs } from './zfs-fuse.js';

/** Names of the snapshots of one dataset, oldest first (by createtxg, from `zfs get -Hp`). */
export const snapshotNames = async (dataset: string): Promise<string[]> => {
  const out = await zfs('get', '-H', '-p', '-r', '-d', '1', '-o', 'name,value', 'createtxg', dataset);
  return out
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([n]) => n?.includes('@'))
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map(([n]) => n!.slice(n!.indexOf('@') + 1));
};

const destroyRetrying = async (name: string): Promise<void> => {
  for (let i = 0; i < 30; i++) {
    const r = await execa('/usr/sbin/zfs', ['destroy', name], { reject: false });
    if (r.exitCode === 0 || /does not exist/.test(r.stderr)) return;
    await new Promise((res) => setTimeout(res, 500));
  }
};

/** Checksums of the files in `dataset@snap`, read through a temporary clone. */
export const snapshotChecksums = async (fullSnapshot: string): Promise<Record<string, string>> => {
  const pool = fullSnapshot.split('/')[0]!.split('@')[0]!;
  const clone = `${pool}/${uniqueName('verify-')}`;
  const mnt = `${TEST_ROOT}/mnt/${clone.replace(/\//g, '-')}`;
  await zfs('clone', '-o', `mountpoint=${mnt}`, fullSnapshot, clone);
  try {
    return await treeChecksums(mnt);
  } finally {
    await destroyRetrying(clone);
  }
};

/** Checksums of a mounted source dataset. */
export const datasetChecksums = async (dataset: string): Promise<Record<string, string>> =>
  treeChecksums(await zfs('get', '-H', '-o', 'value', 'mountpoint', dataset));

/** The GUID lists of two datasets' snapshots, as name -> guid maps. */
export const guidsOf = async (dataset: string): Promise<Record<string, string>> => Object.fromEntries(await snapshotGuids(dataset));

export const writeRandom = async (file: string, mib: number): Promise<void> => {
  await execa('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${mib}`, 'status=none']);
};

export const mountpointOf = async (dataset: string): Promise<string> => zfs('get', '-H', '-o', 'value', 'mountpoint', dataset);
