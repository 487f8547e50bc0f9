// The renderer: the only module that writes to stdout. Logs never come here (pino goes to a file or stderr).
import { writeSync } from 'node:fs';
import type { Output } from '../app/context.js';

export type { Output };

/** Synchronous writes so the status line is out even if the process is killed right after. */
export const stdoutOutput: Output = {
  write(text: string) {
    let buf = Buffer.from(text, 'utf8');
    while (buf.length > 0) {
      try {
        const n = writeSync(1, buf);
        buf = buf.subarray(n);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
        throw e;
      }
    }
  },
};

// The status line's text is the outcome's own form (src/outcome.ts); it stays importable from here.
export { jsonReplacer, NAGIOS_ILLEGAL_CHARS, nagiosSafe, renderResult } from '../outcome.js';
