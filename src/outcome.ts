// The state vocabulary every layer speaks: service states, how errors and many results fold into one, and what a
// command returns, and the text of its status line. Writing it and the exit code are the CLI's (src/cli/).
import { type ErrorKind, isZfoError } from './errors.js';

export type ServiceState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

const KIND_STATE: Readonly<Record<ErrorKind, ServiceState>> = {
  usage: 'UNKNOWN',
  config: 'UNKNOWN',
  internal: 'UNKNOWN',
  transient: 'WARNING',
  conflict: 'CRITICAL',
  permanent: 'CRITICAL',
};

/** Anything that is not one of our errors is a bug or an unforeseen failure: UNKNOWN, never WARNING. */
export const stateForError = (e: unknown): ServiceState => (isZfoError(e) ? KIND_STATE[e.kind] : 'UNKNOWN');

/**
 * Aggregation order for many results (datasets, targets): CRITICAL > WARNING > UNKNOWN > OK.
 * A known problem outranks not knowing; not knowing outranks OK so a failed probe is never hidden.
 */
const RANK: Readonly<Record<ServiceState, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export const worstState = (states: Iterable<ServiceState>): ServiceState => {
  let worst: ServiceState = 'OK';
  for (const s of states) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
};

/** What every command returns to main: a state, one status line, optional long output and a JSON report. */
export interface CommandResult {
  readonly state: ServiceState;
  /** Text after `STATE: `; kept short (Monit shows 512 bytes of stderr+stdout). */
  readonly summary: string;
  /** Nagios perfdata, already formatted (`label=value[UOM];warn;crit;min;max ...`). */
  readonly perfdata?: string;
  /** Further lines (Nagios long output), e.g. one per dataset. */
  readonly details?: readonly string[];
  /** Full machine-readable report for `--json`. */
  readonly report?: unknown;
  /** Raw text to print instead of a status line (help, dry-run plans, status tables). */
  readonly text?: string;
}

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
