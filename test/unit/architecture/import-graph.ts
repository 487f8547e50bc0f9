// The layering checker: reads the layer order from docs/design.md, the import lines of src/**/*.ts (static,
// re-exports and dynamic import()), and names every import that climbs the order and every import circle.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/** Layers from top to bottom; each layer is a set of module names (a folder under src/, or a file at its root). */
export type LayerOrder = readonly (readonly string[])[];

/** file (path relative to src/, with .ts) -> the src files it imports (same form). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

export interface Violation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/**
 * Parses `cli -> app -> checks/actions -> sync -> {state, zfs} -> errors`: `->` separates layers, a layer is one
 * name, names joined by `/`, or a `{a, b}` set.
 */
export const parseLayerOrder = (text: string): LayerOrder => {
  const layers = text.split('->').map((part) =>
    part
      .trim()
      .replace(/^\{|\}$/g, '')
      .split(/[,/]/)
      .map((n) => n.trim())
      .filter((n) => n !== ''),
  );
  if (layers.length < 2 || layers.some((l) => l.length === 0)) throw new Error(`not a layer order: ${text}`);
  const seen = new Set<string>();
  for (const name of layers.flat()) {
    if (seen.has(name)) throw new Error(`layer order names ${name} twice: ${text}`);
    seen.add(name);
  }
  return layers;
};

/** The one line of docs/design.md §1 that starts with `Layer order:` holds the order between backquotes. */
export const layerOrderFromDesign = (designText: string): LayerOrder => {
  const lines = designText.split('\n').filter((l) => l.startsWith('Layer order:'));
  if (lines.length !== 1) throw new Error(`docs/design.md must have exactly one "Layer order:" line, found ${lines.length}`);
  const m = /`([^`]+)`/.exec(lines[0]!);
  if (!m) throw new Error(`the "Layer order:" line has no order between backquotes: ${lines[0]}`);
  return parseLayerOrder(m[1]!);
};

/** The module of a file is its first path segment under src/ without its extension: cli/main.ts -> cli. */
export const moduleOf = (file: string): string => file.split('/')[0]!.replace(/\.ts$/, '');

/** Every specifier a TypeScript file imports: import/export ... from, side-effect imports, import(), import type. */
export const importSpecifiers = (source: string): string[] => ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);

/** Resolves a relative `./x.js` specifier of `file` to the src file it names (`x.ts`); packages give undefined. */
export const resolveSpecifier = (file: string, spec: string): string | undefined => {
  if (!spec.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts');
};

const listTs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });

/** The import graph of a source tree (every .ts file but declarations), with packages left out. */
export const readImportGraph = (srcDir: string): { graph: ImportGraph; packages: Map<string, string[]> } => {
  const graph = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  for (const abs of listTs(srcDir)) {
    const file = relative(srcDir, abs).split('\\').join('/');
    const specs = importSpecifiers(readFileSync(abs, 'utf8'));
    graph.set(file, [...new Set(specs.map((s) => resolveSpecifier(file, s)).filter((t): t is string => t !== undefined))]);
    packages.set(
      file,
      specs.filter((s) => !s.startsWith('.')),
    );
  }
  return { graph, packages };
};

/** Imports that go up the order, and files whose module the order does not name. */
export const upwardImports = (graph: ImportGraph, order: LayerOrder): Violation[] => {
  const rank = new Map<string, number>();
  order.forEach((layer, i) => layer.forEach((name) => rank.set(name, i)));
  const out: Violation[] = [];
  for (const [from, targets] of graph) {
    const fromRank = rank.get(moduleOf(from));
    if (fromRank === undefined) {
      out.push({ from, to: from, why: `module ${moduleOf(from)} is not in the layer order` });
      continue;
    }
    for (const to of targets) {
      const toRank = rank.get(moduleOf(to));
      if (toRank === undefined) out.push({ from, to, why: `module ${moduleOf(to)} is not in the layer order` });
      else if (toRank < fromRank) out.push({ from, to, why: `${moduleOf(from)} imports up into ${moduleOf(to)}` });
    }
  }
  return out;
};

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
export const importCircles = (graph: ImportGraph): string[][] => {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return circles;
};

/**
 * Circles between the modules of one layer (zfs -> state -> zfs through different files): the order says nothing
 * between them, so each pair may import one way only.
 */
export const moduleCircles = (graph: ImportGraph, order: LayerOrder): string[][] => {
  const moduleGraph = new Map<string, string[]>();
  const layerOf = new Map<string, number>();
  order.forEach((layer, i) => layer.forEach((name) => layerOf.set(name, i)));
  for (const [from, targets] of graph) {
    const m = moduleOf(from);
    const edges = moduleGraph.get(m) ?? [];
    for (const to of targets) {
      const t = moduleOf(to);
      if (t !== m && layerOf.get(t) !== undefined && layerOf.get(t) === layerOf.get(m) && !edges.includes(t)) edges.push(t);
    }
    moduleGraph.set(m, edges);
  }
  return importCircles(moduleGraph);
};

/** Every breach of the order: upward imports, file circles and circles between modules of one layer. */
export const layeringViolations = (graph: ImportGraph, order: LayerOrder): string[] => [
  ...upwardImports(graph, order).map((v) => `${v.from} -> ${v.to}: ${v.why}`),
  ...importCircles(graph).map((c) => `import circle of ${c.length} files: ${c.join(', ')}`),
  ...moduleCircles(graph, order).map((c) => `circle between modules of one layer: ${c.join(', ')}`),
];
