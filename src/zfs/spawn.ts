// Run one command and capture its output, on node:child_process directly. Not execa: importing execa costs
// ~100 ms of CPU, and this is the hot path of a 15-second Monit cycle that may run a dozen zfs commands.
import { timerMs } from '../core/duration.js';
import { spawn } from 'node:child_process';

/** Keep this much of stderr (head and tail): zfs prints a one-line reason, usage dumps are noise. */
export const STDERR_LIMIT = 64 * 1024;

/**
 * The most stdout read into memory: a listing of 100 000 snapshots is tens of MB; a replica (or a broken zfs)
 * printing hundreds of MB would cost three times that in RSS. Beyond it the command is stopped and refused.
 */
export const STDOUT_LIMIT = 128 * 1024 * 1024;

/**
 * The environment for zfs and ssh: PATH gets /usr/sbin:/sbin appended (cron and Monit run with a bare PATH;
 * appended so a shim earlier on PATH still wins) and LC_ALL=C so messages stay in the English we classify.
 */
export const toolEnv = (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const parts = (base.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean);
  for (const dir of ['/usr/sbin', '/sbin']) if (!parts.includes(dir)) parts.push(dir);
  return { ...base, PATH: parts.join(':'), LC_ALL: 'C' };
};

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Grace between SIGTERM and SIGKILL when the command is stopped. */
  readonly killGraceMs?: number;
  /** Stop the command once its stdout passes this many bytes (default STDOUT_LIMIT). */
  readonly maxStdoutBytes?: number;
}

export interface SpawnResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Stopped by us: the timeout expired or the signal aborted. */
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** spawn itself failed (ENOENT ...). */
  readonly spawnError: NodeJS.ErrnoException | null;
  /** Stopped by us because stdout passed the limit; stdout is then empty (refused whole). */
  readonly overflowed?: boolean;
}

/** Collects at most `limit` bytes: the first half and the last half of what was written. */
export class BoundedText {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer = Buffer.alloc(0);
  private dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const half = this.limit >> 1;
    if (this.headLen < half) {
      const take = chunk.subarray(0, half - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    const joined = Buffer.concat([this.tail, chunk]);
    const keep = joined.subarray(Math.max(0, joined.length - half));
    this.dropped += joined.length - keep.length;
    this.tail = Buffer.from(keep);
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = this.tail.toString('utf8');
    return this.dropped > 0 ? `${head}\n[... ${this.dropped} bytes cut ...]\n${tail}` : head + tail;
  }
}

/** Stop a child: SIGTERM, then SIGKILL if it is still there after the grace period. */
export const terminate = (
  child: { pid?: number | undefined; exitCode: number | null; signalCode: string | null; kill(sig: NodeJS.Signals): boolean },
  graceMs: number,
): void => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, timerMs(graceMs));
  t.unref();
};

/** Run `file args`, capture stdout up to its limit (listings can be tens of MB) and stderr bounded. Never throws. */
export const spawnCapture = (file: string, args: readonly string[], opts: SpawnOptions = {}): Promise<SpawnResult> =>
  new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let overflowed = false;
    const maxStdout = opts.maxStdoutBytes ?? STDOUT_LIMIT;
    const stderr = new BoundedText(STDERR_LIMIT);
    let timedOut = false;
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    if (opts.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderr: '', timedOut, aborted: true, spawnError });
      return;
    }
    const child = spawn(file, args, {
      env: opts.env ?? toolEnv(),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const grace = opts.killGraceMs ?? 2000;
    const onAbort = (): void => {
      aborted = true;
      terminate(child, grace);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            terminate(child, grace);
          }, timerMs(opts.timeoutMs))
        : undefined;
    child.stdout?.on('data', (b: Buffer) => {
      if (overflowed) return;
      stdoutBytes += b.length;
      if (stdoutBytes <= maxStdout) return void stdout.push(b);
      overflowed = true;
      stdout.length = 0; // refused whole: nothing of it is used, so nothing of it is kept
      terminate(child, grace);
    });
    child.stderr?.on('data', (b: Buffer) => stderr.push(b));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE when the command does not read its input
      child.stdin.end(opts.input);
    }
    child.on('error', (e) => {
      spawnError = e as NodeJS.ErrnoException;
    });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode: code,
        signal: sig,
        stdout: overflowed ? '' : Buffer.concat(stdout).toString('utf8'),
        stderr: stderr.text(),
        timedOut,
        aborted,
        spawnError,
        ...(overflowed ? { overflowed } : {}),
      });
    });
  });
