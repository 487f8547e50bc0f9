// Shared body of every executable in bin/: signals become an AbortSignal, crashes become UNKNOWN (exit 3).
import { main } from './main.js';
import { stdoutOutput } from './output.js';
import { invalidUtf8Argument } from './argv-bytes.js';

export const run = async (programName: string, argv: readonly string[]): Promise<void> => {
  const crash = (e: unknown): void => {
    const text = e instanceof Error ? e.message : String(e);
    stdoutOutput.write(`UNKNOWN: internal error: ${text.replace(/\s+/g, ' ').slice(0, 300)}\n`);
    process.exit(3);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // Counted on what the user typed (process.argv), not on argv, which a plugin prefixes with `check <name>`.
  const bad = invalidUtf8Argument(process.argv.length - 2);
  if (bad !== null) {
    stdoutOutput.write(`UNKNOWN: usage: argument ${bad} is not valid UTF-8 (paths and names must be UTF-8)\n`);
    process.exit(3);
  }
  const code = await main(argv, { programName, signal: controller.signal });
  // The status line is already out (synchronous write) and logs are synchronous: nothing left may keep us alive
  // (a child still being reaped after a deadline kill, a socket). Exit now, as a plugin must.
  process.exit(code);
};
