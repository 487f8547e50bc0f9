// Records every zfs invocation (argv) through the test/helpers/bin/zfs shim, locally (PATH of the runner's
// environment) and remotely (session PATH and ZFS_CALL_LOG of the test sshd), so tests can count and inspect calls.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { TEST_ROOT, uniqueName } from './zfs-fuse.js';

export const SHIM_DIR = new URL('./bin', import.meta.url).pathname;

export interface ZfsCall {
  readonly argv: readonly string[];
  readonly pid: number;
}

export interface ZfsCallLog {
  readonly path: string;
  /** Environment for a LocalRunner (or any child): the shim first on PATH, the log file named. */
  readonly env: NodeJS.ProcessEnv;
  /** Options for startSshd(): remote sessions find the shim first and log into the same file. */
  readonly sshd: { readonly sessionPath: string; readonly env: Record<string, string> };
  /** Calls so far, in order. */
  calls(): ZfsCall[];
  /** Calls whose argv starts with these words, e.g. `count('list')`, `count('get')`. */
  count(...prefix: string[]): number;
  clear(): void;
  remove(): void;
}

export const zfsCallLog = (): ZfsCallLog => {
  mkdirSync(TEST_ROOT, { recursive: true });
  const path = `${TEST_ROOT}/${uniqueName('zfs-calls-')}.jsonl`;
  writeFileSync(path, '');
  const basePath = process.env.PATH ?? '/usr/bin:/bin';
  const calls = (): ZfsCall[] =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ZfsCall);
  return {
    path,
    env: { ...process.env, PATH: `${SHIM_DIR}:${basePath}`, ZFS_CALL_LOG: path },
    sshd: { sessionPath: `${SHIM_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, env: { ZFS_CALL_LOG: path } },
    calls,
    count: (...prefix) => calls().filter((c) => prefix.every((p, i) => c.argv[i + 1] === p)).length,
    clear: () => writeFileSync(path, ''),
    remove: () => rmSync(path, { force: true }),
  };
};
