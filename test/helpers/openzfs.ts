// The OpenZFS 2.x guest (qemu, see test/openzfs/README.md) as tests see it: either why it cannot be used here,
// or ssh access with the guest's host key pinned, unique dataset roots, file installation and a zfs-shim session.
// The guest is prepared by the vitest global setup of the "openzfs" project; this module only reads its state.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { execa } from 'execa';
import { readState, type GuestState } from '../openzfs/lifecycle.js';
import { bashCommand, DESTROY_TREES, envPrefix, OWNER_PROP, ownerTag, SAFE_PATH, sq } from '../openzfs/guest-scripts.js';

export interface GuestExecOptions {
  /** Bytes or text for the command's stdin. */
  readonly input?: string | Uint8Array;
  /** Variables exported before the command runs in the guest. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface GuestExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Shell access to the guest through one ssh identity. */
export interface GuestSession {
  readonly host: '127.0.0.1';
  readonly user: 'root';
  readonly port: number;
  /** Private key for root@guest. */
  readonly keyFile: string;
  /** known_hosts holding the guest's host keys (ssh-keyscan at setup): host-key checking stays on. */
  readonly knownHostsFile: string;
  /** ssh `-o` options (without `-o`) that pin the host key and use only keyFile. */
  readonly sshOptions: readonly string[];
  /** `--ssh-key`/`--ssh-option` arguments for zfailover. */
  readonly cliArgs: readonly string[];
  /** `root@127.0.0.1:<port>:<dataset>` side spec. */
  side(dataset: string): string;
  /** Full ssh argv (without the remote command), e.g. to spawn `zfs send` pipes from a test. */
  sshArgv(): string[];
  /** Run a shell command line in the guest; throws with stderr on a non-zero exit. Returns stdout. */
  exec(command: string, opts?: GuestExecOptions): Promise<string>;
  /** Like exec, but returns the exit code and both streams instead of throwing. */
  run(command: string, opts?: GuestExecOptions): Promise<GuestExecResult>;
}

export interface GuestRoots {
  /** `<prefix>-<random>`. */
  readonly name: string;
  /** `src/<name>`, mounted below /src. */
  readonly src: string;
  /** `dst/<name>`, mounted below /dst (received datasets can be mounted and compared). */
  readonly dst: string;
  /** Releases holds and destroys both trees (retrying while busy). */
  cleanup(): Promise<void>;
}

/** An ssh identity whose sessions run with a zfs shim first on PATH (forced command in authorized_keys). */
export interface GuestShim extends GuestSession {
  /** Guest path of the installed shim, e.g. `/tmp/zfo-shim-ab12cd/zfs`. */
  readonly path: string;
  readonly dir: string;
  /** Guest path of $ZFS_CALL_LOG. */
  readonly logFile: string;
  /** What every session of this identity gets: PATH (shim dir first) and ZFS_CALL_LOG. */
  readonly env: Readonly<Record<string, string>>;
  /** Lines the shim has logged so far. */
  calls(): Promise<string[]>;
  clearCalls(): Promise<void>;
  /** Revokes the identity and deletes the shim directory. */
  remove(): Promise<void>;
}

export interface OpenzfsGuest extends GuestSession {
  readonly reason?: undefined;
  /** First line of `zfs version` in the guest, e.g. `zfs-2.3.2-2~bpo12+2`. */
  readonly zfsVersion: string;
  /** The vitest run booted the guest (rather than reusing a running one). */
  readonly startedByThisRun: boolean;
  /** `kvm` or `tcg`. */
  readonly accel: string;
  /**
   * Creates `src/<prefix>-<rand>` and `dst/<prefix>-<rand>` (own properties via -o), tagged with this process so
   * a later run sweeps them if this one dies before cleanup().
   */
  uniqueRoots(prefix: string, opts?: { srcProps?: Record<string, string>; dstProps?: Record<string, string> }): Promise<GuestRoots>;
  /** Copies a host file to an absolute guest path (atomic rename), mode default 0755. */
  installFile(localPath: string, guestPath: string, mode?: number): Promise<void>;
  /** Installs a zfs shim (default `/tmp/zfo-shim-<rand>/zfs`) and returns an identity whose sessions use it. */
  installShim(shimFile: string, opts?: { path?: string; logFile?: string }): Promise<GuestShim>;
}

export interface OpenzfsUnavailable {
  readonly reason: string;
}

export type OpenzfsGuestResult = OpenzfsGuest | OpenzfsUnavailable;

/** ` (skipped: <reason>)` for a describe title, or '' when the guest is usable. */
export const skipNote = (g: OpenzfsGuestResult): string => (g.reason ? ` (skipped: ${g.reason})` : '');

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const rand = (): string => randomBytes(3).toString('hex');

let cached: Promise<OpenzfsGuestResult> | undefined;

/** Once per test process: the guest prepared by this vitest run, or why it cannot be used. */
export const openzfsGuest = (): Promise<OpenzfsGuestResult> => (cached ??= load());

const load = async (): Promise<OpenzfsGuestResult> => {
  let stateFile: string | undefined;
  try {
    stateFile = inject('zfoOpenzfsState');
  } catch {
    stateFile = undefined;
  }
  if (!stateFile) {
    return { reason: 'the OpenZFS guest is prepared only for the vitest project "openzfs" (test/openzfs/**, test/**/*.openzfs.test.ts)' };
  }
  let state: GuestState;
  try {
    state = readState(stateFile);
  } catch (e) {
    return { reason: `cannot read the guest state ${stateFile}: ${(e as Error).message}` };
  }
  if (state.reason !== undefined) return { reason: state.reason };
  const ctlDir = join('/tmp', `zfo-oz-${process.pid}-${rand()}`);
  mkdirSync(ctlDir, { recursive: true, mode: 0o700 });
  const base = session(state.port, state.keyFile, state.knownHostsFile, ctlDir);
  // The guest may have died since the setup (someone stopped it): say so instead of failing every test.
  const probe = await base.run('true', { timeoutMs: 60_000 });
  if (probe.exitCode !== 0) return { reason: `the guest on 127.0.0.1:${state.port} stopped answering: ${probe.stderr.trim()}` };
  const keyDir = join(dirname(stateFile), 'keys');
  const guest: OpenzfsGuest = {
    ...base,
    zfsVersion: state.zfsVersion,
    startedByThisRun: state.started,
    accel: state.accel,
    async uniqueRoots(prefix, opts = {}) {
      if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/.test(prefix)) throw new Error(`bad test root prefix '${prefix}'`);
      const name = `${prefix}-${rand()}`;
      const src = `src/${name}`;
      const dst = `dst/${name}`;
      const props = (p: Record<string, string> = {}) => [[OWNER_PROP, ownerTag()], ...Object.entries(p)].map(([k, v]) => `-o ${sq(`${k}=${v}`)}`).join(' ');
      await base.exec(`zfs create ${props(opts.srcProps)} ${src} && zfs create ${props(opts.dstProps)} ${dst}`);
      return {
        name,
        src,
        dst,
        cleanup: async () => {
          await base.exec(bashCommand(DESTROY_TREES, [src, dst]), { timeoutMs: 120_000 });
        },
      };
    },
    installFile: (localPath, guestPath, mode = 0o755) => installFile(base, localPath, guestPath, mode),
    async installShim(shimFile, opts = {}) {
      const id = rand();
      const path = opts.path ?? `/tmp/zfo-shim-${id}/zfs`;
      const dir = dirname(path);
      const logFile = opts.logFile ?? `${dir}/calls.log`;
      for (const p of [path, logFile]) if (!SAFE_PATH.test(p)) throw new Error(`unsafe guest path '${p}'`);
      await installFile(base, shimFile, path, 0o755);
      await base.exec(`: > ${sq(logFile)}`);
      mkdirSync(keyDir, { recursive: true, mode: 0o700 });
      const keyFile = join(keyDir, `shim-${id}`);
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `zfo-shim-${id}`, '-f', keyFile]);
      const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      const env = { PATH: `${dir}:${DEFAULT_PATH}`, ZFS_CALL_LOG: logFile };
      // sshd runs the forced command with the user's shell; it re-runs the client's command with our env.
      const forced =
        `export PATH=${env.PATH} ZFS_CALL_LOG=${logFile}; ` +
        'if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/bash -c "$SSH_ORIGINAL_COMMAND"; else exec /bin/bash -l; fi';
      const line = `command="${forced.replace(/"/g, '\\"')}",no-agent-forwarding,no-X11-forwarding ${pub} zfo-shim-${id}\n`;
      await base.exec('flock /root/.ssh/authorized_keys.lock sh -c "cat >> /root/.ssh/authorized_keys"', { input: line });
      const s = session(state.port, keyFile, state.knownHostsFile, ctlDir);
      return {
        ...s,
        path,
        dir,
        logFile,
        env,
        calls: async () => (await base.exec(`cat ${sq(logFile)}`)).split('\n').filter(Boolean),
        clearCalls: async () => void (await base.exec(`: > ${sq(logFile)}`)),
        async remove() {
          await base.exec(
            `flock /root/.ssh/authorized_keys.lock sed -i '/ zfo-shim-${id}$/d' /root/.ssh/authorized_keys; ` +
              `rm -f ${sq(path)} ${sq(logFile)}; rmdir ${sq(dir)} 2>/dev/null || true`,
          );
        },
      };
    },
  };
  return guest;
};

const installFile = async (s: GuestSession, localPath: string, guestPath: string, mode: number): Promise<void> => {
  if (!SAFE_PATH.test(guestPath)) throw new Error(`unsafe guest path '${guestPath}'`);
  const tmp = `${guestPath}.tmp-${rand()}`;
  await s.exec(`mkdir -p ${sq(dirname(guestPath))} && cat > ${sq(tmp)} && chmod ${mode.toString(8)} ${sq(tmp)} && mv -f ${sq(tmp)} ${sq(guestPath)}`, {
    input: readFileSync(localPath),
  });
};

/** ssh to the guest with one identity; multiplexed (one key exchange per process and key: ~1 s under TCG). */
/** ssh access to a guest on `port` (the shared one, or a private instance a test boots itself). */
export const session = (port: number, keyFile: string, knownHostsFile: string, ctlDir: string): GuestSession => {
  const sshOptions = [`UserKnownHostsFile=${knownHostsFile}`, 'GlobalKnownHostsFile=/dev/null', 'IdentitiesOnly=yes'];
  const sshArgv = () => [
    'ssh',
    '-i',
    keyFile,
    '-p',
    String(port),
    ...sshOptions.flatMap((o) => ['-o', o]),
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=30',
    '-o',
    'LogLevel=ERROR',
    // the ControlPath hash (%C) ignores the identity: one socket directory per key keeps sessions apart
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${ctlDir}/${keyFile.split('/').pop()}-%C`,
    '-o',
    'ControlPersist=30',
    'root@127.0.0.1',
  ];
  const run = (command: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> =>
    new Promise((resolve, reject) => {
      const [file, ...args] = sshArgv() as [string, ...string[]];
      const child = spawn(file, [...args, '--', envPrefix(opts.env) + command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString() + (signal ? `\n(ssh killed by ${signal})` : '');
        resolve({ exitCode: code ?? 255, stdout: Buffer.concat(out).toString(), stderr });
      });
      child.stdin.on('error', () => {}); // the remote side may exit without reading all input
      child.stdin.end(opts.input ?? '');
    });
  return {
    host: '127.0.0.1',
    user: 'root',
    port,
    keyFile,
    knownHostsFile,
    sshOptions,
    cliArgs: ['--ssh-key', keyFile, ...sshOptions.flatMap((o) => ['--ssh-option', o])],
    side: (dataset) => `root@127.0.0.1:${port}:${dataset}`,
    sshArgv,
    run,
    async exec(command, opts) {
      const r = await run(command, opts);
      if (r.exitCode !== 0) {
        throw new Error(`guest command failed (exit ${r.exitCode}): ${command.slice(0, 200)}: ${r.stderr.trim().slice(-800)}`);
      }
      return r.stdout;
    },
  };
};
