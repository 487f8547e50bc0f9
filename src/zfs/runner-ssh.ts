// Runner for a remote host over ssh: every command is one multiplexed ssh session on a ControlMaster that
// outlives the process (ControlPersist), so a 15-second cycle does not pay a key exchange (~0.3 s) each time.
// Host keys stay checked: we never add StrictHostKeyChecking=no (operators may pass their own -o options).
import { timerMs } from '../core/duration.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { ownedEntryProblem, UntrustedPathError } from '../state/trust.js';
import { HostUnreachableError } from '../errors.js';
import { hostLabel } from './side.js';
import { ZfsError } from './errors.js';
import { sshFailureError, stageFailureError } from './failure.js';
import { stoppedError, toExecResult, tooMuchOutput } from './exec-result.js';
import { quoteArg, remoteCommand } from './quote.js';
import { spawnCapture, toolEnv } from './spawn.js';
import type { ExecOptions, ExecResult, HostSpec, ProcessSpec, Runner, SshSettings } from './types.js';

const SERVER_ALIVE_INTERVAL = 10;
const SERVER_ALIVE_COUNT = 3;
/** A master start older than this is a leftover of a killed run, not one in progress. */
const STARTING_STALE_MS = 60_000;
/**
 * Concurrent exec sessions per host. sshd's default MaxSessions is 10 per connection: past it the mux client
 * falls back to a fresh connection (a full key exchange each), so we queue instead; pipelines use the rest.
 */
const MAX_EXEC_SESSIONS = 6;

export interface SshRunnerOptions {
  readonly env?: NodeJS.ProcessEnv;
}

export { sshFailureError } from './failure.js';

/**
 * The master socket of a host, per identity: a digest of destination, port, key and options. ssh's own %C hashes
 * only host, port and user, so two jobs reaching one host with different keys (one restricted by a forced
 * command in authorized_keys) would share one authenticated connection. 16 hex characters also leave room in
 * the 108-byte socket path for a long state directory (ssh adds a 17-character suffix while it binds).
 */
export const controlPath = (s: Pick<SshSettings, 'controlDir' | 'key' | 'options'>, destination: string, port: number | undefined): string => {
  const id = createHash('sha256')
    .update(JSON.stringify([destination, port ?? null, s.key ?? null, s.options]))
    .digest('hex')
    .slice(0, 16);
  return `${s.controlDir}/${id}`;
};

/**
 * A path as the value of an `ssh -o` option. ssh parses `-o` like a config line: words split at blanks and `%`
 * starts a token, so a state dir with a blank (`/srv/state dir`) cut ControlPath short (ssh exit 255: every
 * remote side "unreachable"). Double-quoted with `\` and `"` escaped, `%` doubled: the exact path.
 */
export const sshConfigPath = (path: string): string => `"${path.replace(/[\\"]/g, (c) => `\\${c}`).replaceAll('%', '%%')}"`;

export class SshRunner implements Runner {
  readonly label: string;
  private readonly env: NodeJS.ProcessEnv;
  private master: Promise<void> | null = null;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly remote: HostSpec,
    private readonly settings: SshSettings,
    opts: SshRunnerOptions = {},
  ) {
    this.label = hostLabel(remote, settings.port);
    this.env = toolEnv(opts.env ?? process.env);
  }

  private get destination(): string {
    return this.remote.user ? `${this.remote.user}@${this.remote.host}` : this.remote.host;
  }

  private get port(): number | undefined {
    return this.remote.port ?? this.settings.port;
  }

  /** Options shared by the master and its clients: same ControlPath, identity, port and user options. */
  private commonArgs(): string[] {
    const s = this.settings;
    return [
      '-o',
      'BatchMode=yes',
      '-o',
      `ControlPath=${sshConfigPath(controlPath(s, this.destination, this.port))}`,
      '-o',
      `ConnectTimeout=${s.connectTimeout}`,
      '-o',
      `ServerAliveInterval=${SERVER_ALIVE_INTERVAL}`,
      '-o',
      `ServerAliveCountMax=${SERVER_ALIVE_COUNT}`,
      ...(s.key ? ['-i', s.key] : []),
      ...(this.port !== undefined ? ['-p', String(this.port)] : []),
      ...s.options.flatMap((o) => ['-o', o]),
    ];
  }

  /** argv of `ssh ... host -- <quoted pipeline>` as a client of the master (or direct when it is gone). */
  sshArgv(pipeline: readonly (readonly string[])[]): string[] {
    return ['ssh', '-o', 'ControlMaster=no', ...this.commonArgs(), this.destination, '--', remoteCommand(pipeline)];
  }

  private get logFile(): string {
    return `${this.settings.controlDir}/${this.label.replace(/[^A-Za-z0-9.@_-]/g, '_')}.log`;
  }

  /** Make sure a master runs for this host (once per process); the next cycles find it through ControlPath. */
  ensureMaster(signal?: AbortSignal): Promise<void> {
    this.master ??= this.startMaster(signal).catch((e: unknown) => {
      this.master = null;
      throw e;
    });
    return this.master;
  }

  private async masterRunning(): Promise<boolean> {
    // A socket at our ControlPath that we did not create would carry root's zfs commands and streams to
    // whoever listens on it (OpenSSH's mux master accepts a root client): refuse it before ssh connects.
    const socket = controlPath(this.settings, this.destination, this.port);
    const planted = ownedEntryProblem(socket);
    if (planted) throw new UntrustedPathError(socket, `ssh control socket not trusted: ${planted}`, `rm ${quoteArg(socket)}`);
    const r = await spawnCapture('ssh', ['-O', 'check', ...this.commonArgs(), this.destination], { env: this.env, timeoutMs: 5000 });
    return r.exitCode === 0;
  }

  private async startMaster(signal?: AbortSignal): Promise<void> {
    const dir = this.settings.controlDir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (await this.masterRunning()) return;
    // Two runs starting a master for one host at once would leave a second, never-ending connection (its socket
    // bind fails and it goes on without multiplexing): the first to create the marker starts it, others wait.
    const marker = `${this.logFile}.starting`;
    if (!claim(marker)) {
      for (let i = 0; i < 50 && !signal?.aborted; i++) {
        await sleep(200);
        if (await this.masterRunning()) return;
      }
      return; // no master: commands fall back to their own connections, which still work
    }
    try {
      // ssh -E appends to (and follows) whatever is there: start from a fresh file of our own, never a link.
      freshPrivateFile(this.logFile);
      const code = await new Promise<number | null>((resolve) => {
        // stdio fully detached: the persisting master must never hold Monit's pipes (Monit would wait on them).
        const child = spawn(
          'ssh',
          [
            '-M',
            '-N',
            '-f',
            '-o',
            'ControlMaster=yes',
            '-o',
            `ControlPersist=${this.settings.controlPersist}`,
            '-E',
            this.logFile,
            ...this.commonArgs(),
            this.destination,
          ],
          { env: this.env, stdio: 'ignore', detached: true },
        );
        const timer = setTimeout(() => child.kill('SIGTERM'), timerMs((this.settings.connectTimeout + 10) * 1000));
        child.on('error', () => resolve(255));
        child.on('close', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      if (code === 0) return;
      const log = safeRead(this.logFile);
      throw sshFailureError(this.label, log) ?? new HostUnreachableError(this.label, log.trim().split('\n').pop() || `ssh exited ${code}`);
    } finally {
      try {
        unlinkSync(marker);
      } catch {
        // already gone
      }
    }
  }

  private async session<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing session hands its slot straight to the next waiter, so the count never overshoots.
    if (this.running >= MAX_EXEC_SESSIONS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new RangeError('empty argv');
    await this.ensureMaster(opts.signal);
    const [file, ...args] = this.sshArgv([argv]);
    const r = await this.session(() =>
      spawnCapture(file as string, args, { env: this.env, input: opts.input, timeoutMs: opts.timeoutMs, signal: opts.signal }),
    );
    if (r.spawnError)
      throw new ZfsError({ reason: 'unsupported', argv, host: this.label, exitCode: null, stderr: '', message: `cannot run ssh: ${r.spawnError.message}` });
    if (r.overflowed) throw tooMuchOutput(argv, this.label);
    if (r.aborted || r.timedOut) throw stoppedError(argv, this.label, r, opts.signal, opts.timeoutMs);
    // ssh's own failure is thrown even under allowFailure: "the host is gone" is never a command's answer.
    if (r.exitCode === 255) {
      const sshErr = sshFailureError(this.label, r.stderr, r.exitCode, argv.slice(0, 2).join(' '));
      if (sshErr) throw sshErr;
    }
    const result = toExecResult(argv, r);
    if (result.exitCode !== 0 && !opts.allowFailure) throw stageFailureError({ argv, host: this.label, viaSsh: true, exitCode: r.exitCode, stderr: r.stderr });
    return result;
  }

  processes(pipeline: readonly (readonly string[])[]): ProcessSpec[] {
    const [file, ...args] = this.sshArgv(pipeline);
    return [{ file: file as string, args, label: `${this.label}: ${pipeline.map((s) => s.join(' ')).join(' | ')}` }];
  }

  /** Stop the shared master (tests; an operator resetting a stuck connection). The next command starts one. */
  async exitMaster(): Promise<void> {
    await spawnCapture('ssh', ['-O', 'exit', ...this.commonArgs(), this.destination], { env: this.env, timeoutMs: 5000 });
    this.master = null;
  }

  /** pid of the running master, or null (from `ssh -O check`: "Master running (pid=N)"). */
  async masterPid(): Promise<number | null> {
    const r = await spawnCapture('ssh', ['-O', 'check', ...this.commonArgs(), this.destination], { env: this.env, timeoutMs: 5000 });
    const m = /pid=(\d+)/.exec(r.stderr + r.stdout);
    return r.exitCode === 0 && m ? Number(m[1]) : null;
  }

  /** The master is left running on purpose: the next cycle (another process) reuses it. */
  async close(): Promise<void> {}
}

/** Create `path` exclusively; a stale one (older than a minute) is taken over. */
const claim = (path: string): boolean => {
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(path).mtimeMs > STARTING_STALE_MS) {
        unlinkSync(path);
        closeSync(openSync(path, 'wx', 0o600));
        return true;
      }
    } catch {
      // lost the race to another run: wait for its master
    }
    return false;
  }
};

const safeRead = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Replace `path` by a new empty file of ours (mode 0600), never following a symlink planted there. */
const freshPrivateFile = (path: string): void => {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
  closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
};
