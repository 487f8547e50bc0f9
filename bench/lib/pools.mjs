// zfs-fuse fixtures for the bench: file-backed pools with unique names (destroyed at the end, retrying while
// zfs-fuse calls freshly received datasets busy), dataset trees, random data, and a forced txg commit.
import { rmSync } from 'node:fs';
import { onCleanup } from './cleanup.mjs';
import { must, run, sleep } from './proc.mjs';

export const ZFS = '/usr/sbin/zfs';
export const ZPOOL = '/usr/sbin/zpool';

export const zfs = (...args) => must(ZFS, args);

/** Why zfs-fuse cannot be used here, or null. */
export const zfsUnavailableReason = async () => {
  if (process.getuid?.() !== 0) return 'the bench needs root (zfs-fuse, sshd for root@127.0.0.1)';
  const r = await run(ZPOOL, ['list', '-H'], { cpu: false }).catch((e) => ({ code: -1, stderr: e.message }));
  return r.code === 0 ? null : `zfs-fuse does not answer (zpool list: ${r.stderr.trim().split('\n')[0]}); start it with zfs-fuse`;
};

export const createPool = async (name, image, sizeMiB, mountRoot) => {
  await must('truncate', ['-s', `${sizeMiB}M`, image]);
  const created = await run(ZPOOL, ['create', '-m', `${mountRoot}/${name}`, name, image], { cpu: false });
  if (created.code !== 0) {
    rmSync(image, { force: true });
    throw new Error(`zpool create ${name}: ${created.stderr.trim()}`);
  }
  onCleanup(`zpool destroy ${name}`, async () => {
    let last = '';
    for (let i = 0; i < 60; i++) {
      const r = await run(ZPOOL, ['destroy', '-f', name], { cpu: false, timeoutMs: 120_000 });
      if (r.code === 0 || /no such pool/.test(r.stderr)) {
        rmSync(image, { force: true });
        return;
      }
      last = r.stderr.trim();
      await sleep(1000);
    }
    throw new Error(`zpool destroy -f ${name} still fails after 60 s: ${last} (image ${image})`);
  });
  // zfs-fuse can wedge (a FUSE request never answered): then every file operation hangs. Say so, not hang.
  const probe = await run('/bin/sh', ['-c', 'echo probe > "$1/.bench-probe" && rm "$1/.bench-probe"', 'sh', `${mountRoot}/${name}`], {
    cpu: false,
    timeoutMs: 60_000,
  });
  if (probe.code !== 0) throw new Error(`zfs-fuse does not serve file operations on the new pool ${name} within 60 s (wedged? look for processes in state D)`);
};

export const mountpointOf = async (dataset) => (await zfs('get', '-H', '-o', 'value', 'mountpoint', dataset)).stdout.trim();

/** `root` and, when children > 0, root/c00..c<children-1>, each with a small file so none is empty. */
export const createTree = async (root, children = 0) => {
  await zfs('create', root);
  await writeSmall(root, 'root');
  for (let i = 0; i < children; i++) {
    const ds = `${root}/c${String(i).padStart(2, '0')}`;
    await zfs('create', ds);
    await writeSmall(ds, ds);
  }
};

const writeSmall = async (dataset, text) => {
  const mnt = await mountpointOf(dataset);
  await must('/bin/sh', ['-c', 'printf "%s\\n" "$2" > "$1/file"', 'sh', mnt, text]);
};

/** Overwrite `file` with MiB of fresh random data, flushed to the pool (untimed preparation). */
export const writeRandom = (file, mib) => must('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${mib}`, 'conv=notrunc,fsync', 'status=none']);

/**
 * Make the pool commit every dirty block now: a snapshot is a sync task, which waits for its txg to reach disk.
 * Without it, the txg holding the preparation's writes would be written out inside the timed run of whichever
 * tool comes next (zfailover's sync snapshot would pay for it, the raw pipe would not).
 */
export const commitTxg = async (pool) => {
  const snap = `${pool}/txg-flush@f${Date.now()}`;
  await zfs('snapshot', snap);
  await destroyRetry(snap);
};

/** `zfs destroy [flags] name`, retried while zfs-fuse reports the dataset busy. */
export const destroyRetry = async (name, flags = []) => {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const r = await run(ZFS, ['destroy', ...flags, name], { cpu: false, timeoutMs: 120_000 });
    if (r.code === 0 || /does not exist|could not find any snapshots/.test(r.stderr)) return;
    last = r.stderr.trim();
    await sleep(1000);
  }
  throw new Error(`zfs destroy ${name}: ${last}`);
};

/** Short snapshot names of a dataset, oldest first (zfs-fuse: `list -t snapshot -s createtxg` works). */
export const snapshotsOf = async (dataset) =>
  (await zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-s', 'createtxg', '-r', '-d', '1', dataset)).stdout
    .split('\n')
    .filter((l) => l.startsWith(`${dataset}@`))
    .map((l) => l.slice(dataset.length + 1));
