// `a | b | c` without a shell: stage i's stdout pipe is handed to stage i+1 as its stdin, so the kernel pipe is
// duplicated into the child and the stream's bytes never pass through this process (a 300 GB send costs no heap).
// Any failure, abort or deadline stops every stage (SIGTERM, then SIGKILL); the reported error is the stage
// that failed by itself, not a sender killed by a broken pipe because its receiver failed.
import { timerMs } from '../core/duration.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { DeadlineError, type ZfoError, isZfoError } from '../errors.js';
import { meteredBytes, receivedBytes } from './argv.js';
import { classifySshFailure, isConsequentialFailure } from './classify.js';
import { ZfsError } from './errors.js';
import { remoteStageFailures } from './quote.js';
import { stageFailureError } from './failure.js';
import { BoundedText, STDERR_LIMIT, toolEnv } from './spawn.js';
import type { ProcessSpec } from './types.js';

export interface PipelineOptions {
  readonly signal?: AbortSignal;
  /** Absolute time (ms since the epoch, Date.now()) at which the pipeline is stopped: DeadlineError. */
  readonly deadlineMs?: number;
  /** Called once every stage runs, with their pids (the sync lock records them for a later run to kill). */
  readonly onSpawn?: (pids: number[]) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
}

export interface StageResult {
  readonly label: string;
  readonly pid: number | null;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** We stopped it (another stage failed, abort, deadline). */
  readonly killedByUs: boolean;
  /** The stage counts as failed (non-zero, signal, or a remote stage's failure marker). */
  readonly failed: boolean;
}

export interface PipelineResult {
  readonly ok: boolean;
  readonly stages: readonly StageResult[];
  /** stdout of the last stage (bounded): `zfs receive -v`'s summary. */
  readonly stdout: string;
  /**
   * Bytes that reached the receiving `zfs receive`: counted by the meter stage before it (exact, and known when
   * the transfer failed), else from `receive -v` (rounded by zfs), else null.
   */
  readonly bytes: number | null;
  readonly durationMs: number;
  /** The root cause, classified; null when ok. */
  readonly error: ZfoError | null;
  /** Index of the stage the error belongs to, or null (abort, deadline, ok). */
  readonly failedStage: number | null;
}

const STDOUT_LIMIT = 1024 * 1024;

interface Running {
  readonly spec: ProcessSpec;
  child: ChildProcess | null;
  pid: number | null;
  stderr: BoundedText;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  done: boolean;
  killedByUs: boolean;
  spawnError: Error | null;
  endOrder: number;
  /** False for stages after one that could not be spawned: never run, so never failed. */
  started: boolean;
}

/** SIGTERM to the stage's process group, SIGKILL after the grace period if it is still there. */
const terminateGroup = (child: ChildProcess, graceMs: number): void => {
  const kill = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig); // the group is gone already; the leader may still be reaped
    }
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    kill('SIGKILL'); // the leader is gone but something in its group may still hold the pipes
    return;
  }
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), graceMs).unref();
};

const isSsh = (spec: ProcessSpec): boolean => spec.file === 'ssh' || spec.file.endsWith('/ssh');

/** For an ssh stage: the destination (argument before `--`) and the zfs verb run remotely. */
const remoteParts = (spec: ProcessSpec): { host: string; argv: string[] } => {
  const i = spec.args.indexOf('--');
  // SshRunner labels its stage `<user@host:port>: <pipeline>`: the same host label as its exec errors.
  const cut = spec.label.indexOf(': ');
  const host = cut > 0 ? spec.label.slice(0, cut) : i > 0 ? (spec.args[i - 1] as string) : spec.label;
  const cmd = i >= 0 ? (spec.args[i + 1] ?? '') : '';
  const verbs = [...cmd.matchAll(/(?:^|[\s;|{])zfs '?(\w+)/g)].map((m) => m[1] as string);
  return { host, argv: ['zfs', verbs.find((v) => v === 'receive' || v === 'recv') ?? verbs[0] ?? ''] };
};

const stageFailed = (r: Running): boolean =>
  r.spawnError !== null || (r.started && (r.exitCode !== 0 || r.signal !== null || (isSsh(r.spec) && remoteStageFailures(r.stderr.text()).size > 0)));

/**
 * Failed only because another stage did: ended by our SIGTERM/SIGKILL, SIGPIPE, a broken pipe or a truncated
 * stream. A stage we signalled that had already exited with its own status still counts as failing by itself.
 */
const consequential = (r: Running): boolean => {
  const stderr = r.stderr.text();
  // ssh's own failure (exit 255 with its own words: connection lost, refused, host key) is a cause even if its
  // text says "reset", and even when our stop raced it: a stage that failed first may be seen ending first, and
  // the stop then marks an ssh that had already exited as killed by us (flaked 1 in 3 on a loaded machine).
  if (isSsh(r.spec) && r.exitCode === 255 && r.signal === null && !/Killed by signal/.test(stderr) && classifySshFailure(stderr, 255) !== null) return false;
  // An ssh client we signalled exits 255, often silently: that is our stop, not a lost connection.
  const byOurSignal =
    r.killedByUs &&
    (r.signal === 'SIGTERM' ||
      r.signal === 'SIGKILL' ||
      r.exitCode === 143 ||
      r.exitCode === 137 ||
      /Killed by signal/.test(stderr) ||
      (isSsh(r.spec) && r.exitCode === 255));
  return byOurSignal || r.signal === 'SIGPIPE' || r.exitCode === 141 || (stageFailed(r) && isConsequentialFailure(stderr));
};

const stageError = (r: Running): ZfoError => {
  const stderr = r.stderr.text();
  if (r.spawnError) {
    return new ZfsError({
      reason: 'unsupported',
      argv: [r.spec.file, ...r.spec.args],
      host: 'local',
      exitCode: null,
      stderr: '',
      message: `cannot run ${r.spec.file}: ${r.spawnError.message}`,
    });
  }
  if (isSsh(r.spec)) {
    const { host, argv } = remoteParts(r.spec);
    return stageFailureError({ argv, host, viaSsh: true, exitCode: r.exitCode, stderr });
  }
  return stageFailureError({ argv: [r.spec.file, ...r.spec.args], host: 'local', viaSsh: false, exitCode: r.exitCode, stderr });
};

/** The meter's count: the largest over stages (a remote meter reports through its ssh stage's stderr). */
const meterOf = (run: readonly Running[]): number | null => {
  const counts = run.map((r) => meteredBytes(r.stderr.text())).filter((n): n is number => n !== null);
  return counts.length > 0 ? Math.max(...counts) : null;
};

/** How long a writer upstream of a failed stage may take to notice the broken pipe before it is signalled. */
const EPIPE_GRACE_MS = 2000;

export const runPipeline = (stages: readonly ProcessSpec[], opts: PipelineOptions = {}): Promise<PipelineResult> =>
  new Promise((resolve) => {
    if (stages.length === 0) throw new RangeError('empty pipeline');
    const started = Date.now();
    const grace = opts.killGraceMs ?? 3000;
    const env = opts.env ?? toolEnv();
    const run: Running[] = stages.map((spec) => ({
      spec,
      child: null,
      pid: null,
      stderr: new BoundedText(STDERR_LIMIT),
      exitCode: null,
      signal: null,
      done: false,
      killedByUs: false,
      spawnError: null,
      endOrder: -1,
      started: false,
    }));
    const stdout = new BoundedText(STDOUT_LIMIT);
    let stopReason: 'failure' | 'abort' | 'deadline' | null = null;
    let ended = 0;
    let timer: NodeJS.Timeout | undefined;

    const stopAll = (why: 'failure' | 'abort' | 'deadline', failed?: Running): void => {
      stopReason ??= why;
      // A failure stops from the failed stage on; an abort or deadline from the last stage (the receiver, which
      // keeps a resumable state where it can), so that every writer can end on its broken pipe.
      const at = failed ? run.indexOf(failed) : why === 'failure' ? -1 : run.length - 1;
      const stop = (r: Running): void => {
        if (r.done || !r.child) return;
        r.killedByUs = true;
        terminateGroup(r.child, grace);
      };
      // A writer upstream of that stage gets a moment to end by itself on the broken pipe: a `zfs send` killed
      // by a signal skips its own clean-up, and zfs-fuse then keeps the temporary holds it put on the snapshots
      // it was sending (they block the cleanup of those snapshots for good).
      run.forEach((r, i) => (i < at ? setTimeout(() => stop(r), Math.min(grace, EPIPE_GRACE_MS)).unref() : stop(r)));
    };
    const onAbort = (): void => stopAll('abort');

    const finish = (): void => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const failing = run.filter(stageFailed).sort((a, b) => a.endOrder - b.endOrder);
      let error: ZfoError | null = null;
      let failedStage: number | null = null;
      if (stopReason === 'deadline') {
        error = new DeadlineError(`deadline reached after ${Math.round((Date.now() - started) / 1000)}s: transfer stopped, the next run resumes`);
      } else if (stopReason === 'abort') {
        const reason: unknown = opts.signal?.reason;
        // sync's --deadline (sync/cycle.ts deadlineSignal) aborts with a DOMException named TimeoutError.
        if (reason instanceof Error && reason.name === 'TimeoutError')
          error = new DeadlineError(`deadline reached after ${Math.round((Date.now() - started) / 1000)}s: transfer stopped, the next run resumes`);
        else
          error = isZfoError(reason)
            ? reason
            : new ZfsError({
                reason: 'killed',
                argv: [stages[0]?.file ?? ''],
                host: 'local',
                exitCode: null,
                stderr: '',
                message: `transfer interrupted${reason instanceof Error ? `: ${reason.message}` : ''}`,
              });
      } else if (failing.length > 0) {
        const root = failing.find((r) => !consequential(r)) ?? (failing[0] as Running);
        failedStage = run.indexOf(root);
        error = stageError(root);
      }
      const out = stdout.text();
      const last = run[run.length - 1] as Running;
      resolve({
        ok: error === null,
        stages: run.map((r) => ({
          label: r.spec.label,
          pid: r.pid,
          exitCode: r.exitCode,
          signal: r.signal,
          stderr: r.stderr.text(),
          killedByUs: r.killedByUs,
          failed: stageFailed(r),
        })),
        stdout: out,
        bytes: meterOf(run) ?? receivedBytes(`${out}\n${last.stderr.text()}`),
        durationMs: Date.now() - started,
        error,
        failedStage,
      });
    };

    const onEnd = (r: Running, code: number | null, sig: NodeJS.Signals | null): void => {
      if (r.done) return;
      r.done = true;
      r.exitCode = code;
      r.signal = sig;
      r.endOrder = ended++;
      if (stageFailed(r)) stopAll('failure', r);
      if (ended === run.length) finish();
    };

    for (let i = 0; i < run.length; i++) {
      const r = run[i] as Running;
      if (stopReason) {
        r.killedByUs = true; // never started: a previous stage could not
        onEnd(r, null, null);
        continue;
      }
      const prev = i > 0 ? run[i - 1]?.child : null;
      const isLast = i === run.length - 1;
      // Own process group per stage: stopping it also stops what it forked (a wrapper script's children would
      // otherwise keep the pipes open and the stage would never end).
      const child = spawn(r.spec.file, [...r.spec.args], { env, detached: true, stdio: [prev?.stdout ?? 'ignore', 'pipe', 'pipe'] });
      // The previous stage's pipe now lives in this child; closing our copy keeps its bytes out of this process
      // and lets the writer see EPIPE when this reader dies.
      prev?.stdout?.destroy();
      r.child = child;
      r.started = true;
      r.pid = child.pid ?? null;
      child.stderr?.on('data', (b: Buffer) => r.stderr.push(b));
      if (isLast) child.stdout?.on('data', (b: Buffer) => stdout.push(b));
      child.on('error', (e) => {
        r.spawnError = e;
        onEnd(r, null, null);
      });
      child.on('close', (code, sig) => onEnd(r, code, sig));
      if (child.pid === undefined) {
        r.child = null; // failed to start: the others are stopped, this one is not "killed by us"
        stopAll('failure');
      }
    }
    if (opts.signal?.aborted) stopAll('abort');
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.deadlineMs !== undefined) timer = setTimeout(() => stopAll('deadline'), timerMs(opts.deadlineMs - Date.now()));
    const pids = run.map((r) => r.pid).filter((p): p is number => p !== null);
    if (pids.length === run.length) opts.onSpawn?.(pids);
  });
