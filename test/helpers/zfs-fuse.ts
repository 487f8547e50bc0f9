// Real ZFS for tests: zfs-fuse in user space (pool v23). Starts the daemon when needed, makes file-backed pools
// with unique names so test files can run side by side, and says why when ZFS cannot run here.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export const TEST_ROOT = '/tmp/zfo-test';
const ZFS = '/usr/sbin/zfs';
const ZPOOL = '/usr/sbin/zpool';

/** Why zfs-fuse tests cannot run here, or null when they can. */
export const zfsFuseUnavailableReason = (): string | null => {
  if (process.getuid?.() !== 0) return 'zfs-fuse tests need root';
  if (!existsSync('/usr/sbin/zfs-fuse')) return 'zfs-fuse is not installed (apt-get install zfs-fuse)';
  if (!existsSync('/dev/fuse')) return '/dev/fuse is missing';
  return null;
};

const daemonRunning = (): boolean => {
  try {
    execFileSync(ZPOOL, ['list', '-H'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};

const startDaemon = async (): Promise<void> => {
  // A larger ARC than Debian's zfsrc (100 MB): with several pools and streams in flight the small one stalls.
  const child = spawn('/usr/sbin/zfs-fuse', ['--max-arc-size', '1024'], { stdio: 'ignore', detached: true });
  child.unref();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (daemonRunning()) return;
  }
  throw new Error('zfs-fuse did not start within 20 s');
};

const daemonProcess = (): boolean => {
  try {
    execFileSync('pgrep', ['-x', 'zfs-fuse'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

/**
 * zfs-fuse sometimes stops serving FUSE altogether (every `zfs create`/mount then hangs in the kernel waiting
 * for the daemon; seen under parallel load). Tests cannot recover a daemon like that: restart it. The FUSE
 * connections are aborted first so that processes stuck on them get an error instead of hanging forever.
 */
const restartWedgedDaemon = async (): Promise<void> => {
  execFileSync('pkill', ['-9', '-x', 'zfs-fuse'], { stdio: 'ignore' });
  const conns = '/sys/fs/fuse/connections';
  if (!existsSync(`${conns}/`) || readdirSync(conns).length === 0) execFileSync('mount', ['-t', 'fusectl', 'none', conns], { stdio: 'ignore' });
  for (const c of readdirSync(conns)) {
    try {
      writeFileSync(`${conns}/${c}/abort`, '1');
    } catch {
      // already gone
    }
  }
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, type] = line.split(' ');
    if (type !== 'fuse.zfs' || !mnt) continue;
    try {
      execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    } catch {
      // unmounted meanwhile
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  await startDaemon();
};

/** Start zfs-fuse once (it daemonizes itself) and wait until `zpool list` answers; restart it when wedged. */
export const ensureZfsFuse = async (): Promise<void> => {
  if (daemonRunning()) return;
  if (daemonProcess()) return restartWedgedDaemon();
  return startDaemon();
};

/**
 * Does a new pool's mount answer? A wedged daemon accepts the pool but never serves its mount. Only a stat that
 * hangs counts: one that fails at once (say, the mount is not there yet) says nothing about the daemon.
 */
const mountAnswers = (dir: string): boolean => {
  try {
    // In a child with a kill timeout: a stat on an unserved FUSE mount hangs (killably) in the kernel.
    execFileSync('timeout', ['-s', 'KILL', '30', 'stat', '-f', dir], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== 137; // 128 + SIGKILL: timeout killed the hung stat
  }
};

export const uniqueName = (prefix: string): string => `${prefix}${randomBytes(3).toString('hex')}`;

export interface TestPool {
  readonly name: string;
  readonly image: string;
  destroy(): Promise<void>;
}

/** A file-backed pool; destroy() retries while zfs-fuse says "busy" (it does so for a while after a receive). */
export const createPool = async (prefix: string, sizeMiB = 256): Promise<TestPool> => {
  await ensureZfsFuse();
  mkdirSync(TEST_ROOT, { recursive: true });
  const name = uniqueName(prefix);
  const image = `${TEST_ROOT}/${name}.img`;
  execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
  await execa(ZPOOL, ['create', '-m', `${TEST_ROOT}/mnt/${name}`, name, image]);
  if (!mountAnswers(`${TEST_ROOT}/mnt/${name}`)) {
    await restartWedgedDaemon();
    await execa(ZPOOL, ['destroy', '-f', name], { reject: false });
    execFileSync('truncate', ['-s', '0', image]);
    execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
    await execa(ZPOOL, ['create', '-m', `${TEST_ROOT}/mnt/${name}`, name, image]);
  }
  return {
    name,
    image,
    async destroy() {
      for (let i = 0; i < 30; i++) {
        const r = await execa(ZPOOL, ['destroy', '-f', name], { reject: false });
        if (r.exitCode === 0 || /no such pool/.test(r.stderr)) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      rmSync(image, { force: true });
    },
  };
};

/** Run zfs (or zpool) directly, for fixtures and assertions; returns stdout. */
export const zfs = async (...args: string[]): Promise<string> => (await execa(ZFS, args)).stdout;
export const zpool = async (...args: string[]): Promise<string> => (await execa(ZPOOL, args)).stdout;

/** Exact snapshot GUIDs of a dataset, name -> guid, from `zfs get -Hp` (zfs-fuse's `list` rounds them). */
export const snapshotGuids = async (dataset: string): Promise<Map<string, string>> => {
  const out = await zfs('get', '-H', '-p', '-r', '-d', '1', '-o', 'name,property,value', 'guid', dataset);
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, , value] = line.split('\t');
    if (name?.includes('@') && value) m.set(name.slice(name.indexOf('@') + 1), value);
  }
  return m;
};

/** sha256 of every file under a directory (relative path -> hash), to compare replica content. */
export const treeChecksums = async (dir: string): Promise<Record<string, string>> => {
  const r = await execa('bash', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum', 'x', dir]);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [hash, file] = line.split(/\s+/, 2);
    if (hash && file) out[file] = hash;
  }
  return out;
};

export const ensureDir = (dir: string): void => mkdirSync(dir, { recursive: true });
