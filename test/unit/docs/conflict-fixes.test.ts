// One source for the conflict fixes: the README table shows, for the example job `data` (tank/data to
// backup/data, reverse job data-back), exactly the fix line sync and check divergence print (describeConflict).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Conflict } from '../../../src/core/plan.js';
import type { Version } from '../../../src/core/versions.js';
import { describeConflict } from '../../../src/sync/conflict-text.js';
import { jobCommands, onJobHost } from '../../../src/sync/invocation.js';
import type { JobSpec } from '../../../src/config/job-spec.js';
import { job as shared } from '../checks/builders.js';

const ROOT = new URL('../../../', import.meta.url);
const v = (dataset: string, name: string, guid: string, createtxg: number): Version => ({
  kind: 'snapshot',
  dataset,
  name,
  guid,
  createtxg,
  creation: 1_700_000_000,
});
const job = (id: string, from: string, to: string): JobSpec => shared(from, [to], { id });

const data = job('data', 'tank/data', 'backup/data');
const back = job('data-back', 'backup/data', 'tank/data');
const cmds = jobCommands(data, {}, () => [data, back]);
const common = { source: v('tank/data', 'a', '1', 1), target: v('backup/data', 'a', '1', 1) };
const CONFLICTS: Conflict[] = [
  { kind: 'conflict', conflict: 'no-source-snapshots' },
  { kind: 'conflict', conflict: 'target-is-primary', targetEpoch: 2 },
  { kind: 'conflict', conflict: 'target-epoch-higher', sourceEpoch: 1, targetEpoch: 2 },
  { kind: 'conflict', conflict: 'no-common-snapshot', sourceVersions: [], targetVersions: [] },
  { kind: 'conflict', conflict: 'diverged', common, sourceOnly: [v('tank/data', 'b', '2', 2)], targetOnly: [v('backup/data', 'x', '3', 2)] },
  { kind: 'conflict', conflict: 'snapshot-name-reused', common, clashes: [{ source: v('tank/data', 'dup', '5', 3), target: v('backup/data', 'dup', '4', 1) }] },
  { kind: 'conflict', conflict: 'target-newer', common, targetOnly: [v('backup/data', 'x', '3', 2)] },
  { kind: 'conflict', conflict: 'target-modified', common, written: 4096 },
];

/** The fix command without its `  # why` comment, as the README shows it. */
export const printedFix = (c: Conflict): string =>
  describeConflict(c, {
    invocation: cmds.invocation,
    target: 'backup/data',
    source: 'tank/data',
    onTarget: (st) => onJobHost(data, null, st),
    onSource: (st) => onJobHost(data, null, st),
    demoteSource: cmds.demoteSource('t1'),
    demoteTarget: cmds.demoteTarget('t1'),
    now: 1_700_000_100_000,
  }).hint.split('  # ')[0]!;

describe('README conflict table', () => {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  test.each(CONFLICTS.map((c) => [c.conflict, c] as const))('%s: the row shows the fix sync prints', (name, c) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\``));
    expect(row, `README row for ${name}`).toBeDefined();
    expect(row).toContain(`\`${printedFix(c)}\``);
  });
});
