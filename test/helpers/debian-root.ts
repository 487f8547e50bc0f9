// Clean Debian 12 roots for the packaging tests (test/helpers/debian-root.sh does the work). The root is built
// with debootstrap ONCE and cached under /var/cache/zfailover-test/debian12/<key of the package lists>, reused by
// every later test file and vitest run; the build holds an flock on that key, so two test files (or two
// concurrent runs) wait for one build instead of building twice. Tests never write to the cache: each run chroots
// into an overlay whose upper layer is the test's own directory, in a private mount namespace (no leftover mounts).
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { ROOT } from './cli.js';

const SCRIPT = `${ROOT}test/helpers/debian-root.sh`;

/** Why these tests cannot run here, or null. */
export const debianRootUnavailableReason = (): string | null => {
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, overlay mounts)';
  if (!existsSync('/usr/sbin/debootstrap')) return 'debootstrap is not installed (scripts/install-deps.sh)';
  if (!existsSync('/usr/bin/unshare')) return 'unshare (util-linux) is not installed';
  return null;
};

/** A first build downloads from Debian's mirror and takes minutes on a busy machine; later runs take none. */
export const DEBIAN_ROOT_BUILD_MS = 30 * 60_000;

/**
 * The cached root of `suite` (bookworm = Debian 12, trixie = Debian 13) with `packages` installed (and `download`'s .debs left in its apt archive), built when missing.
 */
export const debianRoot = async (packages: readonly string[], download: readonly string[] = [], suite: 'bookworm' | 'trixie' = 'bookworm'): Promise<string> => {
  const args = ['build', ...packages, ...(download.length > 0 ? ['--download', ...download] : [])];
  const r = await execa(SCRIPT, args, { reject: false, timeout: DEBIAN_ROOT_BUILD_MS, env: { ZFO_DEBIAN_SUITE: suite } });
  if (r.exitCode !== 0) throw new Error(`debian-root.sh ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
};

export interface RootRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A throwaway writable view of a cached root: files put into it appear at the same path inside. */
export interface RootSession {
  /** Copy a host file or directory to `inside` (an absolute path in the root). */
  put(hostPath: string, inside: string): void;
  /** Path on the host of `inside` in the upper layer (what runs wrote there, or to write before a run). */
  upper(inside: string): string;
  /** Run argv chrooted (clean environment, PATH=/usr/sbin:/usr/bin:/sbin:/bin). */
  run(argv: readonly string[], opts?: { timeoutMs?: number }): Promise<RootRun>;
  /** Run a shell command line chrooted. */
  sh(script: string, opts?: { timeoutMs?: number }): Promise<RootRun>;
  cleanup(): void;
}

export const rootSession = (root: string): RootSession => {
  const dir = mkdtempSync('/var/tmp/zfo-root-');
  mkdirSync(`${dir}/upper`, { recursive: true });
  const upper = (inside: string): string => `${dir}/upper${inside}`;
  const run = async (argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RootRun> => {
    const r = await execa(SCRIPT, ['run', root, ...argv], { reject: false, env: { ZFO_OVERLAY: dir }, timeout: opts.timeoutMs ?? 300_000 });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    put(hostPath, inside) {
      cpSync(hostPath, upper(inside), { recursive: true });
    },
    upper,
    run,
    sh: (script, opts) => run(['/bin/sh', '-c', script], opts),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
