// Shared body of every executable in bin/: signals become an AbortSignal, crashes become UNKNOWN (exit 3).
import { main } from './main.js';
import { stdoutOutput } from './output.js';

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
  process.exitCode = await main(argv, { programName, signal: controller.signal });
  // Sockets (ssh masters are detached, SNMP sessions closed) must not keep us alive past the result.
  setTimeout(() => process.exit(), 2000).unref();
};
