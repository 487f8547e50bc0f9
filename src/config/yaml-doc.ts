// YAML text -> plain value, keeping the Document and a LineCounter so every later error can name its line.
// Syntax errors come back as problems with their line; nothing here throws for bad input.
import { isAlias, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ConfigProblem, KeyPath, Located } from './problems.js';

export type { Located };

export interface YamlSource {
  /** The document as plain data (merge keys applied), or undefined when it could not be parsed. */
  readonly value: unknown;
  readonly problems: readonly ConfigProblem[];
  readonly locate: (path: KeyPath) => Located;
}

const isMergeKey = (key: unknown): boolean => isScalar(key) && (key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<'));

/** First line of a yaml error, without the position and the code excerpt that follow it. */
const shortMessage = (message: string): string => {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
};

export const parseYaml = (text: string): YamlSource => {
  const lineCounter = new LineCounter();
  // merge: operators share job defaults with `<<: *defaults`; uniqueKeys: a repeated key is an error, not
  // "last one wins"; YAML 1.2 core schema, so `yes`/`no` stay strings and are reported instead of guessed.
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true, version: '1.2' });
  const lineOf = (offset: number | undefined): number | null => (offset === undefined ? null : lineCounter.linePos(offset).line);
  const problems: ConfigProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]),
    path: null,
    message: `YAML: ${shortMessage(e.message)}`,
  }));
  // A list or mapping as a key (`? [a, b]`) has no meaning in the config, and converting it makes Node print a
  // warning on stderr: refused here with its line, before any conversion.
  let complexKeys = 0;
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key) && ++complexKeys)
        problems.push({ line: lineOf((pair.key as Node).range?.[0]), path: null, message: 'YAML: a key must be a plain value, not a list or mapping' });
    },
  });
  let value: unknown;
  if (doc.errors.length === 0 && complexKeys === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      problems.push({ line: null, path: null, message: `YAML: ${shortMessage((e as Error).message)}` });
    }
  }
  return { value, problems, locate: (path) => locate(doc, lineOf, path) };
};

const locate = (doc: Document, lineOf: (offset: number | undefined) => number | null, path: KeyPath): Located => {
  let node: unknown = doc.contents;
  let line = lineOf((doc.contents as Node | null)?.range?.[0]);
  for (let depth = 0; depth < path.length; depth++) {
    node = resolve(doc, node);
    const seg = path[depth] as string | number;
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg));
      if (!pair) return { line, depth, belowScalar: false };
      line = lineOf(((pair.key as Node | null) ?? (pair.value as Node | null))?.range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return { line, depth, belowScalar: false };
      line = lineOf((item as Node | null)?.range?.[0]) ?? line;
      node = item;
    } else {
      return { line, depth, belowScalar: node === null || isScalar(node) };
    }
  }
  return { line, depth: path.length, belowScalar: false };
};

const resolve = (doc: Document, node: unknown): unknown => {
  for (let i = 0; i < 20 && isAlias(node); i++) node = node.resolve(doc);
  return node;
};

/** The pair for `key` in a map, looking through `<<` merges the way toJS applies them (own keys first). */
const findPair = (doc: Document, map: YAMLMap, key: string, seen = 0): Pair | null => {
  const own = map.items.find((p) => !isMergeKey(p.key) && isScalar(p.key) && String(p.key.value) === key);
  if (own || seen > 10) return own ?? null;
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    const src = resolve(doc, p.value);
    const sources = isSeq(src) ? src.items.map((i) => resolve(doc, i)) : [src];
    for (const s of sources) {
      const found = isMap(s) ? findPair(doc, s, key, seen + 1) : null;
      if (found) return found;
    }
  }
  return null;
};
