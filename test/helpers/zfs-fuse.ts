// Real ZFS for tests: zfs-fuse in user space (pool v23). Starts the daemon when needed, makes file-backed pools
// with unique names so test files can run side by side, and says why when ZFS cannot run here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

const DAEMON_SCRIPT = fileURLToPath(new URL('./zfs-fuse-daemon.sh', import.meta.url));

/**
 * Starting and restarting the daemon go through one script under a lock shared by every vitest worker: two
 * workers that each started zfs-fuse at the same moment (a fresh machine, the first two files) left a daemon
 * that never served its mounts, and every test of both files hung in `zfs create`.
 */
const daemonScript = async (...args: string[]): Promise<void> => {
  mkdirSync(TEST_ROOT, { recursive: true });
  await execa('flock', ['-o', '-w', '300', `${TEST_ROOT}/.zfs-fuse.lock`, DAEMON_SCRIPT, ...args], { stdio: 'inherit' });
};

const daemonPid = (): string | null => {
  try {
    return execFileSync('pgrep', ['-o', '-x', 'zfs-fuse'], { stdio: 'pipe', encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};

/**
 * zfs-fuse sometimes stops serving FUSE altogether (every `zfs create`/mount then hangs in the kernel waiting
 * for the daemon; seen under parallel load). Tests cannot recover a daemon like that: restart it, unless
 * another worker already has.
 */
const restartWedgedDaemon = (pid: string | null): Promise<void> => daemonScript('restart', pid ?? '0');

/** Start zfs-fuse once (it daemonizes itself) and wait until `zpool list` answers; restart it when wedged. */
export const ensureZfsFuse = (): Promise<void> => daemonScript('ensure');

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
  const pid = daemonPid();
  if (!mountAnswers(`${TEST_ROOT}/mnt/${name}`)) {
    await restartWedgedDaemon(pid);
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
