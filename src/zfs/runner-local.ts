// Runner for the local host: argv straight to node:child_process, no shell anywhere.
import { ZfsError } from './errors.js';
import { stoppedError, toExecResult, tooMuchOutput, zfsErrorFor } from './exec-result.js';
import { spawnCapture, toolEnv } from './spawn.js';
import type { ExecOptions, ExecResult, ProcessSpec, Runner } from './types.js';

export interface LocalRunnerOptions {
  /** Environment of every command (tests put a logging zfs shim first on PATH); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export class LocalRunner implements Runner {
  readonly label = 'local';
  readonly remote = null;
  private readonly env: NodeJS.ProcessEnv;

  constructor(opts: LocalRunnerOptions = {}) {
    this.env = toolEnv(opts.env ?? process.env);
  }

  /** Environment given to pipeline stages as well (the pipeline runner spawns them). */
  get environment(): NodeJS.ProcessEnv {
    return this.env;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new RangeError('empty argv');
    const r = await spawnCapture(file, args, { env: this.env, input: opts.input, timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.spawnError) {
      throw new ZfsError({
        reason: r.spawnError.code === 'ENOENT' ? 'unsupported' : 'unknown',
        argv,
        host: this.label,
        exitCode: null,
        stderr: '',
        message: `cannot run ${file}: ${r.spawnError.message}`,
      });
    }
    if (r.overflowed) throw tooMuchOutput(argv, this.label);
    if (r.aborted || r.timedOut) throw stoppedError(argv, this.label, r, opts.signal, opts.timeoutMs);
    const result = toExecResult(argv, r);
    if (result.exitCode !== 0 && !opts.allowFailure) throw zfsErrorFor(argv, this.label, r);
    return result;
  }

  processes(pipeline: readonly (readonly string[])[]): ProcessSpec[] {
    return pipeline.map((argv) => {
      const [file, ...args] = argv;
      if (!file) throw new RangeError('empty pipeline stage');
      return { file, args, label: argv.join(' ') };
    });
  }

  async close(): Promise<void> {}
}
