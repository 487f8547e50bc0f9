// Turns one planned step into processes: send [| compress] [| mbuffer/pv] [| ssh ...] [| decompress] | recv,
// joined by kernel pipes (the stream never enters the JS heap), and runs them under the cycle's deadline.
import type { Step } from '../core/plan.js';
import { isEncrypted, type DatasetInfo } from '../core/dataset.js';
import { fullName } from '../core/versions.js';
import { InternalError } from '../errors.js';
import type { JobSpec } from './job.js';
import type { Capabilities, ProcessSpec, Runner } from '../zfs/types.js';
import { METER_ARGV, recvArgv, sendArgv } from '../zfs/argv.js';
import { runPipeline } from '../zfs/pipeline.js';
import { progressProbe, watchProgress } from './progress.js';

export interface TransferSides {
  readonly source: { readonly runner: Runner; readonly caps: Capabilities; readonly dataset: DatasetInfo };
  readonly target: { readonly runner: Runner; readonly caps: Capabilities; readonly name: string; readonly encrypted?: boolean };
}

const COMPRESSORS: Readonly<Record<'zstd' | 'lz4', { pack: string[]; unpack: string[] }>> = {
  zstd: { pack: ['zstd', '-q', '-c', '-3', '-T0'], unpack: ['zstd', '-q', '-d', '-c'] },
  lz4: { pack: ['lz4', '-q', '-c'], unpack: ['lz4', '-q', '-d', '-c'] },
};

/** The processes of one step, in pipe order. */
export const stepProcesses = (job: JobSpec, step: Step & { kind: 'full' | 'incremental' | 'resume' }, sides: TransferSides): ProcessSpec[] => {
  const { source, target } = sides;
  const send = sendArgv(source.caps, step, {
    raw: job.send.raw,
    encrypted: isEncrypted(source.dataset),
    // Only flags both ends understand (an OpenZFS stream with -c/-L/-e features cannot go into zfs-fuse).
    receiver: target.caps,
    compressed: job.send.compressed,
    largeBlocks: job.send.largeBlocks,
    embedded: job.send.embedded,
    intoEncrypted: target.encrypted ?? false,
  });
  const recv = recvArgv(target.caps, target.name, {
    resume: job.resume,
    full: step.kind === 'full',
    force: false,
  });
  const overSsh = source.runner.remote !== null || target.runner.remote !== null;
  const compressor = overSsh && job.transport.compress !== 'none' ? COMPRESSORS[job.transport.compress] : null;
  const buffer = overSsh && job.transport.mbuffer ? ['mbuffer', '-q', '-s', '128k', '-m', String(job.transport.mbufferSize)] : null;

  const sendSide: string[][] = [send];
  if (compressor) sendSide.push(compressor.pack);
  if (buffer && source.runner.remote) sendSide.push(buffer);
  const recvSide: string[][] = [];
  if (buffer && target.runner.remote) recvSide.push(buffer);
  if (compressor) recvSide.push(compressor.unpack);
  // Counts what reaches the receive: the report's bytes when a side is lost mid-transfer (receive -v is silent).
  recvSide.push([...METER_ARGV], recv);

  // The rate limit runs on this host, between the two sides (whichever are remote).
  const middle: ProcessSpec[] = [];
  if (job.transport.bwlimit !== null) {
    const rate = String(Math.max(1, Math.floor(job.transport.bwlimit / 1024)));
    const argv = job.transport.mbuffer ? ['mbuffer', '-q', '-r', `${rate}k`, '-m', String(job.transport.mbufferSize)] : ['pv', '-q', '-L', `${rate}k`];
    middle.push({ file: argv[0]!, args: argv.slice(1), label: argv.join(' ') });
  }
  return [...source.runner.processes(sendSide), ...middle, ...target.runner.processes(recvSide)];
};

export const describeProcesses = (ps: readonly ProcessSpec[]): string => ps.map((p) => p.label).join(' | ');

export interface TransferResult {
  readonly bytes: number | null;
  readonly durationMs: number;
}

/** Run one step's pipeline; throws the classified error of the stage that failed first. */
export const runTransfer = async (
  processes: readonly ProcessSpec[],
  opts: {
    readonly signal: AbortSignal;
    readonly onSpawn: (pids: number[]) => void;
    readonly env?: NodeJS.ProcessEnv;
    /** Called about once a second with the bytes moved so far (interactive runs only). */
    readonly onProgress?: (bytes: number, elapsedMs: number) => void;
  },
): Promise<TransferResult> => {
  const started = Date.now();
  let stop = (): void => undefined;
  const onSpawn = (pids: number[]): void => {
    opts.onSpawn(pids);
    const probe = progressProbe(processes);
    const pid = pids[probe.index];
    if (opts.onProgress && pid !== undefined) stop = watchProgress(pid, probe.counter, opts.onProgress);
  };
  const r = await runPipeline(processes, { signal: opts.signal, onSpawn, ...(opts.env ? { env: opts.env } : {}) }).finally(() => stop());
  if (!r.ok) {
    const e = r.error ?? new InternalError(`pipeline failed without an error: ${describeProcesses(processes)}`);
    failures.set(e, {
      bytes: r.bytes,
      stages: r.stages.map((st) => ({
        stage: st.label,
        exitCode: st.exitCode,
        signal: st.signal,
        stderr: st.stderr.trim().split('\n').slice(-3).join(' | ').slice(-300),
      })),
    });
    throw e;
  }
  return { bytes: r.bytes, durationMs: Date.now() - started };
};

/** How each process of a failed transfer ended, for the log: a stage's own crash shows here, not in the report. */
export interface StageEnd {
  readonly stage: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Its last stderr lines. */
  readonly stderr: string;
}

/** What a failed transfer left to tell, keyed by the error runTransfer threw: bytes that reached the receiver, and how each process ended. */
const failures = new WeakMap<object, { readonly bytes: number | null; readonly stages: readonly StageEnd[] }>();
const failureOf = (e: unknown) => (typeof e === 'object' && e !== null ? failures.get(e) : undefined);

export const stagesOfFailure = (e: unknown): readonly StageEnd[] | null => failureOf(e)?.stages ?? null;

/** What a failed transfer had delivered (the report's bytes), or null when unknown or not a transfer error. */
export const bytesBeforeFailure = (e: unknown): number | null => failureOf(e)?.bytes ?? null;

export const stepLabel = (s: Step): { from: string | null; to: string | null } => ({
  from: s.kind === 'incremental' ? fullName(s.from) : null,
  to: s.kind === 'abort-resume' ? null : fullName(s.to),
});
