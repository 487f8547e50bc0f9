// Host side of the OpenZFS test guest: build (cached), reuse or boot, pools, host-key pinning, and release.
// Every failure becomes a skip reason (with the log's tail) in the state file, never an exception, so the
// suite reports "skipped: <why>" instead of failing or passing. Progress goes to a log file, not the test output.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { logTail, run, runScript, SCRIPT } from './processes.js';
import { bashCommand, DESTROY_TREES, LIST_OWNED_ROOTS, ownerAlive } from './guest-scripts.js';

export { SCRIPT };
export const DEFAULT_PORT = 2222;
export const DEFAULT_CACHE = '/var/cache/zfslab';
export const STATE_ROOT = '/tmp/zfo-test/openzfs';
/** Build from nothing takes 4-8 min; allow for a slow mirror and a loaded machine. */
const DEFAULT_SETUP_TIMEOUT_S = 2400;

/** What the test processes read (JSON); `reason` set means the suite must be skipped. */
export type GuestState =
  | { readonly reason: string; readonly logFile: string }
  | {
      readonly reason?: undefined;
      readonly port: number;
      readonly keyFile: string;
      readonly knownHostsFile: string;
      /** `zfs version` first line in the guest, e.g. `zfs-2.3.2-2~bpo12+2`. */
      readonly zfsVersion: string;
      /** True when this run booted the guest (it stops it at the end, unless other runs still use it). */
      readonly started: boolean;
      readonly accel: string;
      readonly runDir: string;
      readonly logFile: string;
    };

export interface PrepareOptions {
  /** Host port forwarded to the guest's sshd. */
  readonly port?: number;
  /** ZFSLAB_* variables for the script (cache, run dir, memory, accel ...). */
  readonly scriptEnv?: Record<string, string>;
  /** Directory for this run's state.json, known_hosts and harness.log. */
  readonly stateDir?: string;
  readonly timeoutS?: number;
  /** Process that holds the lease (default: this one). */
  readonly holderPid?: number;
}

export interface PreparedGuest {
  readonly state: GuestState;
  readonly stateFile: string;
  /**
   * Drop this run's lease; the script stops the guest if this harness booted it and no one else uses it.
   * With `returnAfterS` it returns by then while a slow stop finishes in the background (under the run lock).
   */
  release(opts?: { returnAfterS?: number }): Promise<'done' | 'background'>;
}

/** Why the guest cannot be prepared at all on this host, before trying anything (or null). */
export const hostProblem = (env: NodeJS.ProcessEnv = process.env): string | null => {
  const mode = (env.ZFO_OPENZFS ?? '').toLowerCase();
  if (['0', 'off', 'skip', 'no', 'false'].includes(mode)) return `disabled by ZFO_OPENZFS=${env.ZFO_OPENZFS}`;
  if (process.platform !== 'linux' || process.arch !== 'x64') return `needs Linux x86_64 (this is ${process.platform}/${process.arch})`;
  if (process.getuid?.() !== 0) return 'needs root (debootstrap chroot, qemu, /var/cache/zfslab)';
  if (!existsSync(SCRIPT)) return `missing ${SCRIPT}`;
  return null;
};

export const portFromEnv = (env: NodeJS.ProcessEnv = process.env): number | string => {
  const raw = env.ZFO_OPENZFS_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : `ZFO_OPENZFS_PORT is not a port: '${raw}'`;
};

const log = (logFile: string, line: string): void => appendFileSync(logFile, `[harness ${new Date().toISOString()}] ${line}\n`);

/**
 * Build (cached), reuse or boot the guest on `port`, make sure the pools exist, pin its host key and
 * write state.json. Never throws for guest problems: they end up as `reason`.
 */
export const prepareGuest = async (opts: PrepareOptions = {}): Promise<PreparedGuest> => {
  const stateDir = opts.stateDir ?? join(STATE_ROOT, `${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(stateDir, 'harness.log');
  const stateFile = join(stateDir, 'state.json');
  const lease = `run-${process.pid}-${randomBytes(4).toString('hex')}`;
  const port = opts.port ?? DEFAULT_PORT;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.scriptEnv, ZFSLAB_SSH_PORT: String(port) };
  const cache = env.ZFSLAB_CACHE ?? DEFAULT_CACHE;
  let acquired = false;

  const finish = (state: GuestState): PreparedGuest => {
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    log(logFile, state.reason ? `SKIP: ${state.reason}` : `ready: ${JSON.stringify(state)}`);
    return {
      state,
      stateFile,
      async release(ropts = {}) {
        if (!acquired) return 'done';
        acquired = false;
        const r = await runScript(['release', lease], env, logFile, 300, { captureStdout: false, ...ropts });
        log(logFile, r.detached ? `release ${lease}: still stopping the guest in the background` : `release ${lease}: exit ${r.code}`);
        return r.detached ? 'background' : 'done';
      },
    };
  };
  const fail = (why: string): PreparedGuest => {
    const tail = logTail(logFile);
    return finish({ reason: `${why}${tail ? `: ${tail}` : ''} (log: ${logFile})`, logFile });
  };

  const problem = hostProblem(env);
  if (problem) return finish({ reason: problem, logFile });
  log(logFile, `acquire ${lease} on 127.0.0.1:${port} (script ${SCRIPT}, cache ${cache})`);
  const t0 = Date.now();
  const timeoutS = opts.timeoutS ?? (Number(env.ZFO_OPENZFS_SETUP_TIMEOUT) || DEFAULT_SETUP_TIMEOUT_S);
  const acq = await runScript(['acquire', lease, String(opts.holderPid ?? process.pid)], env, logFile, timeoutS);
  if (acq.timedOut) return fail(`guest build/boot did not finish within ${timeoutS}s`);
  if (acq.code !== 0) return fail(`guest build/boot failed (exit ${acq.code})`);
  acquired = true;
  const kv = Object.fromEntries(
    acq.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  log(logFile, `acquired in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${JSON.stringify(kv)}`);

  // Pin the guest's host key, so the product under test keeps StrictHostKeyChecking on.
  const knownHostsFile = join(stateDir, 'known_hosts');
  const scan = await run('ssh-keyscan', ['-T', '20', '-t', 'ed25519,ecdsa,rsa', '-p', String(port), '127.0.0.1'], 60_000);
  const keys = scan.stdout.split('\n').filter((l) => l.startsWith(`[127.0.0.1]:${port} `));
  if (keys.length === 0) {
    const r = fail(`ssh-keyscan found no host key on 127.0.0.1:${port} (${scan.stderr.trim().split('\n').pop() ?? ''})`);
    await r.release();
    return r;
  }
  writeFileSync(knownHostsFile, `${keys.join('\n')}\n`, { mode: 0o600 });
  const keyFile = join(cache, 'ssh', 'id_ed25519');
  const ssh = (command: string) =>
    run(
      'ssh',
      [
        '-i',
        keyFile,
        '-p',
        String(port),
        '-o',
        `UserKnownHostsFile=${knownHostsFile}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=20',
        'root@127.0.0.1',
        '--',
        command,
      ],
      300_000,
    );
  const check = await ssh('zfs version | head -1; zpool list -H -o name,health');
  appendFileSync(logFile, check.stdout + check.stderr);
  const [version, ...pools] = check.stdout.trim().split('\n');
  const healthy = new Set(pools.filter((l) => l.endsWith('\tONLINE')).map((l) => l.split('\t')[0]));
  let why: string | null = null;
  if (check.code !== 0) why = `ssh with the pinned host key failed (exit ${check.code}): ${check.stderr.trim()}`;
  else if (!version?.startsWith('zfs-2.')) why = `unexpected 'zfs version' output: ${version ?? ''}`;
  else if (!healthy.has('src') || !healthy.has('dst')) why = `pools src and dst are not both ONLINE (${pools.join(', ') || 'none'})`;
  if (why) {
    const r = fail(why);
    await r.release();
    return r;
  }
  await sweepLeaks(ssh, logFile);
  return finish({
    port,
    keyFile,
    knownHostsFile,
    zfsVersion: version as string,
    started: kv.started === '1',
    accel: kv.accel ?? 'unknown',
    runDir: kv.run ?? '',
    logFile,
  });
};

/** Destroy test roots whose owning test process is gone (a crashed or killed run); never fails the setup. */
const sweepLeaks = async (ssh: (c: string) => ReturnType<typeof run>, logFile: string): Promise<void> => {
  const listed = await ssh(bashCommand(LIST_OWNED_ROOTS, ['src', 'dst']));
  const stale = listed.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f): f is [string, string] => f.length === 2 && !ownerAlive(f[1] as string))
    .map(([name]) => name);
  if (stale.length === 0) return;
  const r = await ssh(bashCommand(DESTROY_TREES, stale));
  log(logFile, `swept leaked test roots of dead runs: ${stale.join(' ')} (exit ${r.code}) ${r.stderr.trim()}`);
};

export const readState = (stateFile: string): GuestState => JSON.parse(readFileSync(stateFile, 'utf8')) as GuestState;
