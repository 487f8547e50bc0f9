// What a command gets from main: where to write, the clock, the environment, the global options.
// Injected so tests can run commands in-process with a fake clock and a captured output.

/** Where a command writes its text; the CLI's is stdout (src/cli/output.ts), tests capture it. */
export interface Output {
  write(text: string): void;
}

export interface GlobalOptions {
  /** Config file; undefined means the default path, which is optional for ad-hoc runs. */
  readonly config: string | undefined;
  readonly stateDir: string | undefined;
  readonly json: boolean;
  readonly logFile: string | undefined;
  readonly logLevel: string | undefined;
  readonly verbose: boolean;
}

export interface CliContext {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; the only clock commands may read. */
  readonly now: () => number;
  /** Aborted on SIGINT/SIGTERM or an internal deadline; long operations must honour it. */
  readonly signal: AbortSignal;
  /** Name the executable was called by (`zfailover` or a plugin name such as `check_zfs_rpo`). */
  readonly programName: string;
  readonly isTTY: boolean;
}
