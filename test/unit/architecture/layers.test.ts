// The layer order of docs/design.md §1 held against the import lines of src/: no import up the order, no circle,
// commander only in src/cli/. The checker itself is tested first on synthetic graphs, so a breach is seen to fail.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  importCircles,
  importSpecifiers,
  layerOrderFromDesign,
  layeringViolations,
  moduleCircles,
  moduleOf,
  parseLayerOrder,
  readImportGraph,
  resolveSpecifier,
  upwardImports,
  type ImportGraph,
} from './import-graph.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ORDER = layerOrderFromDesign(readFileSync(`${ROOT}docs/design.md`, 'utf8'));
const { graph: SRC, packages: SRC_PACKAGES } = readImportGraph(`${ROOT}src`);

const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));
const SMALL = parseLayerOrder('cli -> app -> checks/actions -> sync -> {state, zfs} -> {core, outcome} -> errors');

describe('the checker, on synthetic import graphs', () => {
  test('a clean downward graph has no violation', () => {
    const g = graphOf({
      'cli/main.ts': ['app/sync.ts', 'outcome.ts'],
      'app/sync.ts': ['sync/cycle.ts', 'checks/run.ts'],
      'checks/run.ts': ['actions/status.ts', 'zfs/list.ts'],
      'actions/status.ts': ['state/dir.ts'],
      'sync/cycle.ts': ['zfs/list.ts', 'state/dir.ts', 'core/plan.ts'],
      'zfs/list.ts': ['errors.ts', 'state/trust.ts'],
      'state/dir.ts': ['state/trust.ts', 'errors.ts'],
      'state/trust.ts': ['core/plan.ts'],
      'core/plan.ts': ['outcome.ts'],
      'outcome.ts': ['errors.ts'],
      'errors.ts': [],
    });
    expect(layeringViolations(g, SMALL)).toEqual([]);
  });

  test('a planted upward import is named, with both files', () => {
    const g = graphOf({ 'cli/exit.ts': [], 'sync/command.ts': ['cli/exit.ts'], 'core/plan.ts': ['state/dir.ts'], 'state/dir.ts': [] });
    expect(layeringViolations(g, SMALL)).toEqual([
      'sync/command.ts -> cli/exit.ts: sync imports up into cli',
      'core/plan.ts -> state/dir.ts: core imports up into state',
    ]);
  });

  test('a planted circle inside one folder is named, also through type-only or dynamic imports', () => {
    const g = graphOf({ 'state/a.ts': ['state/b.ts'], 'state/b.ts': ['state/c.ts'], 'state/c.ts': ['state/a.ts'], 'state/d.ts': ['state/d.ts'] });
    expect(layeringViolations(g, SMALL)).toEqual(['import circle of 3 files: state/a.ts, state/b.ts, state/c.ts', 'import circle of 1 files: state/d.ts']);
  });

  test('two modules of one layer importing each other through different files are a circle', () => {
    const g = graphOf({ 'zfs/runner.ts': ['state/trust.ts'], 'state/trust.ts': [], 'state/fix.ts': ['zfs/quote.ts'], 'zfs/quote.ts': [] });
    expect(layeringViolations(g, SMALL)).toEqual(['circle between modules of one layer: state, zfs']);
  });

  test('a module the order does not name is a violation, not a pass', () => {
    const g = graphOf({ 'misc/x.ts': ['errors.ts'], 'sync/a.ts': ['misc/x.ts'] });
    expect(layeringViolations(g, SMALL)).toEqual([
      'misc/x.ts -> misc/x.ts: module misc is not in the layer order',
      'sync/a.ts -> misc/x.ts: module misc is not in the layer order',
    ]);
  });

  test('import lines: static, type-only, re-exports, side effects, multi-line and dynamic import()', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      'import {\n  e,\n  f,\n} from "./e.js";',
      "const { g } = await import('../g/g.js');",
      "import { Command } from 'commander';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', '../g/g.js', 'commander']);
    expect(resolveSpecifier('cli/commands/sync.ts', '../../app/sync.js')).toBe('app/sync.ts');
    expect(resolveSpecifier('cli/main.ts', 'commander')).toBeUndefined();
    expect(moduleOf('cli/commands/sync.ts')).toBe('cli');
    expect(moduleOf('outcome.ts')).toBe('outcome');
  });

  test('the order line: layers, sets and slashes; a name twice or a missing line is refused', () => {
    expect(parseLayerOrder('cli -> checks/actions -> {state, zfs} -> errors')).toEqual([['cli'], ['checks', 'actions'], ['state', 'zfs'], ['errors']]);
    expect(() => parseLayerOrder('cli -> sync -> cli')).toThrow(/twice/);
    expect(() => layerOrderFromDesign('# design\nno order here\n')).toThrow(/Layer order/);
  });

  test('circles are found by Tarjan over the whole graph, not only from the first file', () => {
    expect(importCircles(graphOf({ 'a.ts': ['b.ts'], 'b.ts': [], 'c.ts': ['d.ts'], 'd.ts': ['c.ts'] }))).toEqual([['c.ts', 'd.ts']]);
  });
});

describe('src/ against the layer order of docs/design.md §1', () => {
  test('the order read from design.md names every module of src/', () => {
    expect(ORDER.flat()).toEqual(expect.arrayContaining(['cli', 'app', 'sync', 'config', 'core', 'outcome', 'errors']));
    expect(SRC.size).toBeGreaterThan(100);
  });

  test('no import goes up the order', () => {
    expect(upwardImports(SRC, ORDER).map((v) => `${v.from} -> ${v.to}: ${v.why}`)).toEqual([]);
  });

  test('modules of one layer import each other one way only', () => {
    expect(moduleCircles(SRC, ORDER)).toEqual([]);
  });

  test('no files form an import circle', () => {
    expect(importCircles(SRC)).toEqual([]);
  });

  test('only src/cli/ knows commander', () => {
    const outside = [...SRC_PACKAGES].filter(([file, pkgs]) => !file.startsWith('cli/') && pkgs.includes('commander')).map(([file]) => file);
    expect(outside).toEqual([]);
  });
});
