// zod issues -> config problems with a line, a key path and an operator's sentence instead of zod's wording.
// Unknown keys are reported one by one at their own line, with the closest allowed key as a suggestion.
import type * as z from 'zod';
import { MISSING, show as showValue, showSecret } from './schema/common.js';
import { problemAt, type ConfigProblem, type KeyPath } from './problems.js';
import type { Located } from './yaml-doc.js';

type Issue = z.core.$ZodIssue;
type Locate = (path: KeyPath) => Located;

export const issuesToProblems = (issues: readonly Issue[], root: z.ZodType, locate: Locate): ConfigProblem[] =>
  issues.flatMap((iss) => toProblems(iss, root, locate));

// problemAt (a missing key at its parent's line, a path below a plain value shown up to it) lives in
// problems.ts, so the config cache's hit path can build located errors without loading zod.
export { problemAt };

// Keys whose values are secrets (SMTP password, SNMP community, USM keys): a message gives their type only,
// so an unquoted all-digit password is not printed by the error that says to quote it.
const SECRET_KEY = /^(password|community|key|auth_key|priv_key|secret|token)$/i;

const toProblems = (iss: Issue, root: z.ZodType, locate: Locate): ConfigProblem[] => {
  const path = iss.path.filter((s): s is string | number => typeof s !== 'symbol');
  const at = (p: KeyPath, message: string): ConfigProblem => problemAt(locate, p, message);
  const last = path[path.length - 1];
  // The whole document (a file that is no config, e.g. a private key given as --config) is never quoted.
  const show = path.length === 0 || (typeof last === 'string' && SECRET_KEY.test(last)) ? showSecret : showValue;
  switch (iss.code) {
    case 'unrecognized_keys':
      return iss.keys.map((k) => at([...path, k], unknownKeyMessage(k, allowedKeys(root, path))));
    case 'invalid_key':
      return [at(path, iss.issues[0]?.message ?? `invalid key ${show(iss.input)}`)];
    case 'invalid_type':
      if (iss.input === undefined) return [at(path, MISSING)];
      return [at(path, isDefault(iss.message) ? typeMessage(iss.expected, iss.input, show) : iss.message)];
    case 'invalid_value':
      return [at(path, `expected ${iss.values.length === 1 ? '' : 'one of '}${iss.values.map(showValue).join(', ')}; got ${show(iss.input)}`)];
    case 'too_small':
      return [at(path, isDefault(iss.message) ? `too small (minimum ${String(iss.minimum)})` : iss.message)];
    case 'custom':
      return [at(path, iss.message)];
    default:
      return [at(path, iss.message)];
  }
};

/** zod's own wording; ours (given with `error:`) is kept as written. */
const isDefault = (message: string): boolean => /^(Invalid|Too (small|big)|Unrecognized)/.test(message);

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
};

const typeMessage = (expected: string, input: unknown, show: (v: unknown) => string): string => {
  const hint =
    expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n|true|false)$/i.test(input) ? ' (YAML 1.2: write true or false, unquoted)' : '';
  return `expected ${TYPE_NAMES[expected] ?? expected}, got ${show(input)}${hint}`;
};

const unknownKeyMessage = (key: string, allowed: readonly string[] | null): string => {
  if (!allowed || allowed.length === 0) return 'unknown key';
  const near = closest(key, allowed);
  return near ? `unknown key (did you mean '${near}'?)` : `unknown key (allowed: ${allowed.join(', ')})`;
};

const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');

const closest = (key: string, allowed: readonly string[]): string | null => {
  let best: string | null = null;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = norm(a) === norm(key) ? 0 : distance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(key.length / 4)) ? best : null;
};

/** Levenshtein distance; names are short, so the quadratic table is fine. */
const distance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
};

// ---- walking the schema to the object an unknown key was found in -------------------------------------

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
}
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Strip optional/nullable/default wrappers and preprocess pipes down to the structural schema. */
const unwrap = (s: z.ZodType): z.ZodType => {
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out) s = ['object', 'record', 'array'].includes(defOf(unwrap(d.out)).type) ? d.out : d.in;
    else break;
  }
  return s;
};

/** Keys of the object schema at `path`, or null when the path does not lead to an object. */
export const allowedKeys = (root: z.ZodType, path: KeyPath): string[] | null => {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    const d = defOf(s);
    if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg] as z.ZodType | undefined;
    else if (d.type === 'record') s = d.valueType;
    else if (d.type === 'array') s = d.element;
    else return null;
    if (!s) return null;
    s = unwrap(s);
  }
  const d = defOf(s);
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : null;
};
