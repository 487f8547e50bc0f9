// Histories the runCycle model test found, each a product bug fixed with it; replayed deterministically with the
// same invariants (model/play.ts) plus what the fix promises.
import { afterAll, describe, expect, test } from 'vitest';
import { play, removeStateDirs, type Action, type Scenario } from './model/play.js';

afterAll(removeStateDirs);

const base: Omit<Scenario, 'actions'> = {
  sourceCaps: 'openzfs',
  targetCaps: ['openzfs', 'openzfs'],
  targets: 1,
  recursive: false,
  bookmarks: false,
  holds: false,
  resume: false,
  initial: 'all',
};
const sync = (fault: Action & { kind: 'sync' }['fault'] = null): Action => ({ kind: 'sync', fault });

describe('runCycle model: resumable streams', () => {
  test('a stream cut mid-way (connection lost) is resumed from its token, then continued to the newest', async () => {
    const last = await play({
      ...base,
      resume: true,
      actions: [sync(), { kind: 'write-source', child: false }, sync({ kind: 'cut', target: 0 }), { kind: 'write-source', child: false }],
    });
    expect(last.state).toBe('OK');
    expect(last.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['resume', 'incremental']);
  });
});

describe('runCycle model regressions', () => {
  test('an -I stream cut after its first snapshot: what arrived is the new common snapshot and stays on the source', async () => {
    // Before: cleanup went by the plan (nothing arrived) and destroyed the received snapshot on the source -> diverged.
    const last = await play({ ...base, sourceCaps: 'zfs-fuse', actions: [sync(), sync({ kind: 'full', target: 0 }), sync({ kind: 'full', target: 0 })] });
    expect(last.state).toBe('OK');
  });

  test('a target dataset in conflict keeps its older sync snapshots (cleanup leaves it to the operator)', async () => {
    await play({
      ...base,
      actions: [sync(), { kind: 'write-source', child: false }, sync({ kind: 'kill', phase: 'received', n: 1 }), { kind: 'snap-target', target: 0 }],
    });
  });

  test('a partial first receive whose snapshot was pruned on the source is aborted and sent again in full', async () => {
    // Before: the emptied target was planned as existing: no-common-snapshot every cycle.
    const last = await play({ ...base, resume: true, actions: [sync({ kind: 'full', target: 0 }), { kind: 'prune-source', pick: 0 }] });
    expect(last.state).toBe('OK');
    expect(last.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['abort-resume', 'full']);
  });

  test("a target killed before its own cursor existed keeps the other target's old cursor as its base", async () => {
    // Before (found at seed 708220868 after the merges): the first target moved its cursor and destroyed the old
    // one, the only source version the second target shared once the snapshot was pruned: CRITICAL, then a
    // no-common-snapshot conflict.
    const last = await play({
      ...base,
      targets: 2,
      bookmarks: true,
      actions: [sync({ kind: 'kill', phase: 'confirmed', n: 2 }), { kind: 'prune-source', pick: 0 }, sync()],
    });
    expect(last.state).toBe('OK');
  });

  test("a target plans from its own cursor bookmark, not another target's moved earlier in the cycle", async () => {
    // Before: the second target sent from the first one's cursor, just destroyed: "incremental source does not exist".
    await play({ ...base, targets: 2, bookmarks: true, actions: [sync(), { kind: 'prune-source', pick: 0 }, sync()] });
  });

  test("a target catching up to a GUID another target's cursor marks gets its own cursor", async () => {
    // Before: it kept its stale cursor; once the source snapshot was pruned it had no common version left.
    const last = await play({
      ...base,
      targets: 2,
      bookmarks: true,
      actions: [sync({ kind: 'full', target: 1 }), sync(), { kind: 'prune-source', pick: 0 }, sync()],
    });
    expect(last.state).toBe('OK');
  });

  test('a target unreachable after a run killed past its receive keeps its real common snapshot', async () => {
    // Before: cycle 2 sent S2 and was killed before the job state file; cycle 3 could not reach the target,
    // trusted the recorded S1 and destroyed S2 on the source, the snapshot the target really shares: cycle 4
    // found them diverged. Now the write-ahead record (inFlight in the state file) keeps S2 while unread.
    const actions: Action[] = [sync(), sync({ kind: 'kill', phase: 'target-done', n: 1 }), { kind: 'sync', fault: { kind: 'down', target: 0 } }, sync()];
    const last = await play({ ...base, sourceCaps: 'zfs-fuse', actions });
    expect(last.state).toBe('OK');
    expect(last.targets[0]!.datasets[0]!.steps.map((s) => s.kind)).toEqual(['incremental']);
  });

  // The same kill at each phase past a receive, with cursor bookmarks and holds (OpenZFS) and without (zfs-fuse).
  for (const phase of ['stream-running', 'received', 'confirmed', 'target-done', 'cleaned'] as const) {
    for (const caps of ['zfs-fuse', 'openzfs'] as const) {
      test(`killed at ${phase} (${caps}), then the target down: the next cycle is still incremental`, async () => {
        const features = caps === 'openzfs' ? { bookmarks: true, holds: true } : {};
        const actions: Action[] = [
          sync(),
          { kind: 'write-source', child: false },
          sync({ kind: 'kill', phase, n: 1 }),
          { kind: 'sync', fault: { kind: 'down', target: 0 } },
          sync(),
        ];
        const last = await play({ ...base, sourceCaps: caps, targetCaps: [caps, caps], ...features, actions });
        expect(last.state).toBe('OK');
      });
    }
  }
});

describe('runCycle model: a replica behind another target after a prune', () => {
  // Found by the random model run at seed -47940526. Not a product bug: two targets with cursor bookmarks, the
  // operator writes on the zfs-fuse one (no `written`: its receive of the labelled snapshot fails as
  // target-modified), the other receives it, then the operator prunes that snapshot on the source. The source's
  // newest version is now the other target's cursor bookmark; this replica is at the newest snapshot the source
  // still has, with the same data: nothing to send, OK. The model's check expected every replica at that
  // bookmark; it now accepts the source's newest snapshot or a bookmark newer than it, and still checks the data.
  test('the clean cycle after the prune is OK; each replica holds the source data, the zfs-fuse one at the newest snapshot left', async () => {
    const last = await play({
      ...base,
      targetCaps: ['openzfs', 'zfs-fuse'],
      targets: 2,
      bookmarks: true,
      actions: [sync(), { kind: 'write-target', target: 1 }, { kind: 'snap-source' }, sync(), { kind: 'prune-source', pick: 196821705 }],
    });
    expect(last.state).toBe('OK');
    expect(last.targets.map((t) => t.datasets[0]!.outcome)).toEqual(['nothing-to-do', 'nothing-to-do']);
  });
});
