// The renderer: the only module that writes to stdout. Logs never come here (pino goes to a file or stderr).
import { writeSync } from 'node:fs';
import type { CommandResult } from '../outcome.js';

export interface Output {
  write(text: string): void;
}

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

/** `STATE: summary | perfdata` then long output lines; or the JSON report; or raw text. */
export const renderResult = (r: CommandResult, opts: { json: boolean }): string => {
  if (opts.json) {
    return `${JSON.stringify({ state: r.state, summary: r.summary, perfdata: r.perfdata ?? '', details: r.details ?? [], report: r.report ?? null }, jsonReplacer, 2)}\n`;
  }
  if (r.text !== undefined) return r.text.endsWith('\n') ? r.text : `${r.text}\n`;
  const first = `${r.state}: ${nagiosSafe(singleLine(r.summary))}${r.perfdata ? ` | ${r.perfdata}` : ''}`;
  return [first, ...(r.details ?? []).map(singleLine)].join('\n') + '\n';
};

/**
 * Nagios strips its default illegal_macro_output_chars (`~$&|'"<> and backtick) from $SERVICEOUTPUT$ in
 * notifications, so `src/a -> dst/a` would arrive as `src/a - dst/a`: the first line says it in words instead.
 * ZFS names cannot contain any of these characters, so no name changes.
 */
export const NAGIOS_ILLEGAL_CHARS = /[`~$&|'"<>]/g;
export const nagiosSafe = (s: string): string =>
  s
    .replace(/ ?-> ?/g, ' to ')
    .replace(/<([A-Za-z][\w.-]*)>/g, (_m, w: string) => w.toUpperCase()) // a usage placeholder: <name> -> NAME
    .replace(/>= ?/g, 'at least ')
    .replace(/<= ?/g, 'at most ')
    .replace(/> ?(?=[\d.])/g, 'above ')
    .replace(/< ?(?=[\d.])/g, 'below ')
    .replace(/ & /g, ' and ')
    .replace(/~ ?(?=[\d.])/g, 'about ')
    .replace(NAGIOS_ILLEGAL_CHARS, '');

const singleLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/\|/g, '/');

/** bigint GUIDs and Maps appear in reports; JSON.stringify cannot print them by itself. */
export const jsonReplacer = (_key: string, value: unknown): unknown => {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
};

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
