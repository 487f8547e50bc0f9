// Performance data (`'label'=value[UOM];[warn];[crit];[min];[max]`): a strict formatter and its parser. Pure.
// Values are written in base units (s, B, %, plain counts) without exponents, as the guidelines ask, and a
// value that cannot be determined is left out rather than written as `U` (Icinga 2 rejects `U`).
import { formatNumber, formatRange, parseRange, type Range } from './range.js';

export type Uom = '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'c';
const UOMS: ReadonlySet<string> = new Set(['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'GB', 'TB', 'c']);

export interface Perfdatum {
  readonly label: string;
  readonly value: number;
  readonly uom?: Uom;
  readonly warning?: Range | undefined;
  readonly critical?: Range | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
}

/** Labels may hold anything but `'`, `=` and line breaks; those are replaced so a dataset name never breaks the line. */
export const sanitizeLabel = (label: string): string => label.replace(/['=\r\n|]/g, '_');

const quoteLabel = (label: string): string => {
  const clean = sanitizeLabel(label);
  if (clean === '') throw new RangeError('empty perfdata label');
  return /^[A-Za-z0-9_./:-]+$/.test(clean) ? clean : `'${clean}'`;
};

export const formatPerfdatum = (p: Perfdatum): string => {
  const fields = [
    `${quoteLabel(p.label)}=${formatNumber(p.value)}${p.uom ?? ''}`,
    p.warning ? formatRange(p.warning) : '',
    p.critical ? formatRange(p.critical) : '',
    p.min !== undefined ? formatNumber(p.min) : '',
    p.max !== undefined ? formatNumber(p.max) : '',
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return fields.join(';');
};

export const formatPerfdata = (ps: readonly Perfdatum[]): string => ps.map(formatPerfdatum).join(' ');

const TOKEN_RE = /^(?:'([^'=]+)'|([^\s'=]+))=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;[^;\s]*){0,4})$/;

/**
 * Strict parser (the inverse of formatPerfdata): throws on anything the guidelines do not allow, such as an
 * unknown UOM, exponents, `U`, a missing `=` or a bad range. Used by tests and by checks reading other plugins.
 */
export const parsePerfdata = (text: string): Perfdatum[] => {
  const tokens = splitTokens(text.trim());
  return tokens.map((tok) => {
    const m = TOKEN_RE.exec(tok);
    if (!m) throw new SyntaxError(`invalid perfdata token: ${tok}`);
    const [, quoted, bare, value, uom, rest] = m;
    if (!UOMS.has(uom as string)) throw new SyntaxError(`invalid unit '${uom}' in: ${tok}`);
    const [, warn = '', crit = '', min = '', max = ''] = (rest as string).split(';');
    const num = (s: string): number | undefined => {
      if (s === '') return undefined;
      if (!/^-?\d+(?:\.\d+)?$/.test(s)) throw new SyntaxError(`invalid number '${s}' in: ${tok}`);
      return Number(s);
    };
    const range = (s: string): Range | undefined => (s === '' ? undefined : parseRange(s));
    const p: Perfdatum = {
      label: (quoted ?? bare) as string,
      value: Number(value),
      uom: uom as Uom,
      warning: range(warn),
      critical: range(crit),
      min: num(min),
      max: num(max),
    };
    return p;
  });
};

/** Splits on spaces outside single quotes. */
const splitTokens = (text: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (ch === ' ' && !quoted) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new SyntaxError(`unbalanced quote in perfdata: ${text}`);
  if (cur !== '') out.push(cur);
  return out;
};
