// Config problems and the one-line error that reports them: `config error: FILE:LINE: key.path: message`.
import { ConfigError } from '../errors.js';

export type KeyPath = readonly (string | number)[];

/** Where a key path lies in the YAML text (src/config/yaml-doc.ts finds it). */
export interface Located {
  /** Line (1-based) of the deepest part of the path that exists in the file; null when nothing does. */
  readonly line: number | null;
  /** How many leading path segments exist in the file. */
  readonly depth: number;
  /** The path goes on below a plain value (e.g. `targets[0].dataset` where the item is a string). */
  readonly belowScalar: boolean;
}

export interface ConfigProblem {
  readonly line: number | null;
  /** Display form of the key path (`jobs.data.targets[1].name`), or null for file-level problems. */
  readonly path: string | null;
  readonly message: string;
}

/** `jobs.data.targets[1].name`; keys that are not plain words are quoted: `snapshots["vol1/data"]`. */
export const formatKeyPath = (path: KeyPath): string => {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
};

export const formatProblem = (file: string | null, p: ConfigProblem): string => {
  const where = file === null ? '' : `${file}${p.line !== null ? `:${p.line}` : ''}: `;
  return `config error: ${where}${p.path ? `${p.path}: ` : ''}${p.message}`;
};

/**
 * A problem at a key path. A missing key is reported at the line of its parent (the deepest part of the path
 * in the file); a path that runs below a plain value (a target written as a string) is shown up to that value.
 */
export const problemAt = (locate: (path: KeyPath) => Located, p: KeyPath, message: string): ConfigProblem => {
  const loc = locate(p);
  const shown = loc.belowScalar ? p.slice(0, loc.depth) : p;
  return { line: loc.line, path: formatKeyPath(shown) || null, message };
};

/** Problems sorted by line so the first one reported is the first one in the file. */
export const sortProblems = (ps: readonly ConfigProblem[]): ConfigProblem[] =>
  ps
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);

/** A bad config file: the message is the first problem's line; every problem is kept for `config check`. */
export class ConfigFileError extends ConfigError {
  constructor(
    readonly file: string | null,
    readonly problems: readonly ConfigProblem[],
  ) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(`${formatProblem(file, first ?? { line: null, path: null, message: 'invalid' })}${more}`);
  }

  /** One line per problem. */
  lines(): string[] {
    return this.problems.map((p) => formatProblem(this.file, p));
  }
}
