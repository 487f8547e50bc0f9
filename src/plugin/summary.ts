// Presentation of a check's findings: the worst state wins, the first line stays short whatever the number of
// datasets ("3 of 1000 datasets CRITICAL: ..."), and the long output names every subject, worst first. Pure.
import { worstState, type ServiceState } from '../outcome.js';

export interface Finding {
  readonly state: ServiceState;
  /** What the finding is about: a dataset, `tank/data -> backup:tank/data`, a pool, a job. */
  readonly subject: string;
  /** Short description: `rpo 12s (> 10s)`, `diverged since @zfailover_hourly_...`. */
  readonly text: string;
  /** The command or action that resolves the problem. */
  readonly hint?: string | undefined;
  /** Further long-output lines for this subject (role, epoch, evidence). */
  readonly notes?: readonly string[] | undefined;
}

export interface SummaryOptions {
  /** Singular noun for counting subjects: `dataset`, `target`, `pool`. */
  readonly noun: string;
  /** First line when every finding is OK and there is more than one (default `all N nouns OK`). */
  readonly okText?: string | undefined;
  /** Text prefixed to the first line, e.g. the job name. */
  readonly prefix?: string | undefined;
  /** Byte budget of the summary text (before perfdata); Monit shows 512 bytes of output in all. */
  readonly maxBytes?: number | undefined;
  /** Long output lines at most; the rest is counted in one closing line (big outputs block under Monit). */
  readonly maxDetails?: number | undefined;
}

export interface Summary {
  readonly state: ServiceState;
  readonly summary: string;
  readonly details: string[];
}

const ORDER: readonly ServiceState[] = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'];
export const DEFAULT_SUMMARY_BYTES = 200;
export const DEFAULT_MAX_DETAILS = 100;

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
const describe = (f: Finding): string => (f.subject === '' ? f.text : `${f.subject}: ${f.text}`);

/** Findings sorted worst first (stable within a state), the order of the long output. */
export const sortFindings = (fs: readonly Finding[]): Finding[] => ORDER.flatMap((s) => fs.filter((f) => f.state === s));

export const summarise = (findings: readonly Finding[], opts: SummaryOptions): Summary => {
  const maxBytes = opts.maxBytes ?? DEFAULT_SUMMARY_BYTES;
  const prefix = opts.prefix ? `${opts.prefix}: ` : '';
  if (findings.length === 0) {
    // Nothing to look at is never OK: a typo in a dataset name must not read as a healthy replica.
    return { state: 'UNKNOWN', summary: truncate(`${prefix}no ${opts.noun}s to check`, maxBytes), details: [] };
  }
  const state = worstState(findings.map((f) => f.state));
  const sorted = sortFindings(findings);
  let line: string;
  if (findings.length === 1) {
    line = `${prefix}${describe(findings[0] as Finding)}`;
  } else if (state === 'OK') {
    line = `${prefix}${opts.okText ?? `all ${plural(findings.length, opts.noun)} OK`}`;
  } else {
    line = problemLine(sorted, state, prefix, opts.noun, maxBytes);
  }
  const details = longOutput(sorted, opts.maxDetails ?? DEFAULT_MAX_DETAILS);
  // One subject: the first line already says it all, the long output only adds its notes and fix.
  return { state, summary: truncate(line, maxBytes), details: findings.length === 1 ? details.slice(1) : details };
};

/** `3 of 1000 datasets CRITICAL: a: x, b: y (+1 more); 2 WARNING`, the listed subjects filling the budget. */
const problemLine = (sorted: Finding[], state: ServiceState, prefix: string, noun: string, maxBytes: number): string => {
  const total = sorted.length;
  const worst = sorted.filter((f) => f.state === state);
  const others = ORDER.filter((s) => s !== state && s !== 'OK')
    .map((s) => [s, sorted.filter((f) => f.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const tail = others.length ? `; ${others.join(', ')}` : '';
  const head = `${prefix}${worst.length} of ${plural(total, noun)} ${state}: `;
  const items: string[] = [];
  for (let i = 0; i < worst.length; i++) {
    const rest = worst.length - i - 1;
    const candidate = [...items, describe(worst[i] as Finding)].join(', ');
    const more = rest > 0 ? ` (+${rest} more)` : '';
    if (i > 0 && byteLength(head + candidate + more + tail) > maxBytes) {
      return `${head}${items.join(', ')} (+${worst.length - i} more)${tail}`;
    }
    items.push(describe(worst[i] as Finding));
  }
  return `${head}${items.join(', ')}${tail}`;
};

const longOutput = (sorted: Finding[], maxDetails: number): string[] => {
  const lines: string[] = [];
  let shown = 0;
  for (const f of sorted) {
    const block = [`${f.state}: ${describe(f)}`, ...(f.notes ?? []).map((n) => `  ${n}`), ...(f.hint ? [`  fix: ${f.hint}`] : [])];
    if (lines.length + block.length > maxDetails) break;
    lines.push(...block);
    shown++;
  }
  if (shown < sorted.length) {
    const hidden = sorted.slice(shown);
    const byState = ORDER.map((s) => [s, hidden.filter((f) => f.state === s).length] as const).filter(([, n]) => n > 0);
    lines.push(`... ${hidden.length} more not shown (${byState.map(([s, n]) => `${n} ${s}`).join(', ')})`);
  }
  return lines;
};

const encoder = new TextEncoder();
export const byteLength = (s: string): number => encoder.encode(s).length;

/** Cuts to at most `max` UTF-8 bytes on a character boundary, marking the cut with `...`. */
export const truncate = (s: string, max: number): string => {
  if (byteLength(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (byteLength(out + ch) + 3 > max) break;
    out += ch;
  }
  return `${out}...`;
};
