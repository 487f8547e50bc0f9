// Progress for a person at a terminal, on stderr: never seen by Monit, cron or Nagios, which read the status line.
import { writeSync } from 'node:fs';

/**
 * Progress for a person at a terminal: one line on stderr, rewritten in place, erased by `done()`. Undefined when
 * stderr is not a terminal (Monit, cron, Nagios capture it, and must only ever see the status line).
 */
export const terminalProgress = (): { show: (line: string) => void; done: () => void } | undefined => {
  if (!process.stderr.isTTY) return undefined;
  let shown = false;
  const write = (s: string): void => {
    try {
      writeSync(2, s);
    } catch {
      // a closed terminal must not fail the run
    }
  };
  return {
    show: (line) => {
      shown = true;
      write(`\r${line.slice(0, (process.stderr.columns ?? 80) - 1)}\x1b[K`);
    },
    done: () => {
      if (shown) write('\r\x1b[K');
    },
  };
};
