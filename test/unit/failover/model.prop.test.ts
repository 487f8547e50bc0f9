// Model-based property test of failover: random sequences of writes, snapshots, syncs, network cuts, planned
// switchovers, takeovers and demotions (each possibly killed after any operation, then re-run or not) over two
// modelled sites, through the real decision functions, the real promote/demote flows and sync's real planner
// and role rules. After every step: never two primaries with one epoch, nothing writable but a primary, no
// write gone from every dataset, no sync lowering an epoch; planned switchovers lose nothing; demotion keeps
// the old side's data on that side; and whatever happened, healing the link and demoting the older primary
// gets replication running again.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runDemoteFlow } from '../../../src/actions/demote/flow.js';
import { runPromoteFlow } from '../../../src/actions/promote/flow.js';
import { PROP_EPOCH, PROP_ROLE } from '../../../src/core/names.js';
import { Crash, demoteEnv, Fuse, promoteEnv, type Records } from './model-envs.js';
import { ModelError, World, type SiteId } from './world.js';

type Op =
  | { kind: 'write'; site: SiteId }
  | { kind: 'snapshot'; site: SiteId }
  | { kind: 'sync'; from: SiteId }
  | { kind: 'cut' }
  | { kind: 'heal' }
  | { kind: 'promote'; site: SiteId; mode: 'planned' | 'takeover'; crash: number | null }
  | { kind: 'demote'; site: SiteId; crash: number | null };

const site = fc.constantFrom<SiteId>('A', 'B');
const crash = fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), site }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), site }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: site }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'cut' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('promote' as const), site, mode: fc.constantFrom<'planned' | 'takeover'>('planned', 'takeover'), crash }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('demote' as const), site, crash }) },
);

const OPTS = { maxLag: null, acceptTree: false, command: 'zfailover promote --job data', demoteCommand: 'zfailover demote --job data-back' };
const stats = { planned: 0, takeover: 0, demoteKept: 0, crashed: 0, converged: 0 };

const role = (w: World, s: SiteId): string | undefined => w.sites[s].datasets.get(w.sites[s].root)?.props.get(PROP_ROLE);
const epoch = (w: World, s: SiteId): number => Number(w.sites[s].datasets.get(w.sites[s].root)?.props.get(PROP_EPOCH) ?? 0);
const siteData = (w: World, s: SiteId): Set<number> => {
  const all = new Set<number>();
  for (const d of w.sites[s].datasets.values()) {
    for (const x of d.live) all.add(x);
    for (const sn of d.snaps) for (const x of sn.data) all.add(x);
  }
  return all;
};

const promote = async (w: World, rec: Records, at: SiteId, mode: 'planned' | 'takeover', crashAfter: number | null) => {
  const fuse = new Fuse(crashAfter);
  try {
    return await runPromoteFlow(promoteEnv(w, at, rec, fuse), { ...OPTS, mode, dryRun: false, interrupted: rec.promote[at] === true });
  } catch (e) {
    if (e instanceof Crash) return null;
    throw e;
  }
};

const demote = async (w: World, rec: Records, at: SiteId, crashAfter: number | null) => {
  const fuse = new Fuse(crashAfter);
  try {
    return await runDemoteFlow(demoteEnv(w, at, rec, fuse), {
      dryRun: false,
      syncCommand: 'zfailover sync --job data-back',
      command: 'zfailover demote --job data-back',
    });
  } catch (e) {
    if (e instanceof Crash || (e instanceof Error && e.message === 'unreachable')) return null;
    throw e;
  }
};

const step = async (w: World, rec: Records, op: Op): Promise<void> => {
  switch (op.kind) {
    case 'write':
      w.write(op.site);
      return;
    case 'snapshot':
      w.snapshot(op.site, `snap-${w.clock}`);
      return;
    case 'sync':
      if (w.sites[op.from].datasets.has(w.sites[op.from].root)) w.sync(op.from, w.other(op.from));
      return;
    case 'cut':
      w.partitioned = true;
      return;
    case 'heal':
      w.partitioned = false;
      return;
    case 'promote': {
      const peer = w.other(op.site);
      const before = new Set(w.liveData(peer));
      const wasPrimary = role(w, peer) === 'primary';
      const r = await promote(w, rec, op.site, op.mode, op.crash);
      if (r === null) stats.crashed++;
      if (r?.state === 'OK' && r.plan?.kind === 'promote') {
        expect(role(w, op.site)).toBe('primary');
        if (op.mode === 'planned') {
          stats.planned++;
          // Zero bytes lost: everything the primary held when it was fenced is live on the new primary.
          for (const x of before) expect(w.liveData(op.site).has(x)).toBe(true);
          expect(role(w, peer)).toBe('replica');
          expect(epoch(w, peer)).toBe(epoch(w, op.site));
        } else {
          stats.takeover++;
          if (wasPrimary) expect(w.partitioned).toBe(true);
        }
      }
      return;
    }
    case 'demote': {
      const before = siteData(w, op.site);
      const r = await demote(w, rec, op.site, op.crash);
      if (r === null) stats.crashed++;
      if (r && r.state !== 'CRITICAL') {
        expect(role(w, op.site)).toBe('replica');
        if (r.plan?.aside) stats.demoteKept++;
      }
      // Whatever happened, the demoted side still holds everything it held (the aside, the rebuilt tree).
      const after = siteData(w, op.site);
      for (const x of before) expect(after.has(x)).toBe(true);
    }
  }
};

/** Heal, finish what was interrupted, demote the older primary: replication must then run without a conflict. */
const converge = async (w: World, rec: Records): Promise<void> => {
  w.partitioned = false;
  for (const s of ['A', 'B'] as const) {
    if (rec.demote[s]) await demote(w, rec, s, null);
    if (rec.promote[s] && role(w, s) === 'primary') await promote(w, rec, s, 'planned', null);
  }
  w.checkInvariants();
  const primaries = (['A', 'B'] as const).filter((s) => role(w, s) === 'primary');
  let primary: SiteId;
  if (primaries.length === 2) {
    primary = epoch(w, 'A') > epoch(w, 'B') ? 'A' : 'B';
    const r = await demote(w, rec, w.other(primary), null);
    expect(r?.state, r?.summary).not.toBe('CRITICAL');
  } else if (primaries.length === 1) {
    primary = primaries[0]!;
    if (w.sites[w.other(primary)].datasets.has(w.sites[w.other(primary)].root)) {
      const r = await demote(w, rec, w.other(primary), null);
      expect(r?.state, r?.summary).not.toBe('CRITICAL');
    }
  } else {
    // Nobody primary (both were replicas): take over on A; the model keeps A's dataset.
    primary = w.sites.B.datasets.has('pb/data') && !w.sites.A.datasets.has('pa/data') ? 'B' : 'A';
    const r = await promote(w, rec, primary, 'takeover', null);
    expect(r?.state, r?.summary).toBe('OK');
    const d = await demote(w, rec, w.other(primary), null);
    expect(d?.state, d?.summary).not.toBe('CRITICAL');
  }
  w.checkInvariants();
  w.write(primary);
  const outcome = w.sync(primary, w.other(primary));
  expect(['plan', 'nothing-to-do']).toContain(outcome);
  expect(role(w, w.other(primary))).toBe('replica');
  stats.converged++;
};

const property = (replicaSourceSnapshots: boolean) =>
  fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.record({ A: fc.boolean(), B: fc.boolean() }), async (ops, knows) => {
    const w = new World(knows);
    w.replicaSourceSnapshots = replicaSourceSnapshots;
    const rec: Records = { promote: {}, demote: {} };
    w.write('A');
    w.sync('A', 'B');
    for (const op of ops) {
      try {
        await step(w, rec, op);
        w.checkInvariants();
      } catch (e) {
        if (e instanceof ModelError) throw new Error(`${e.message} after ${JSON.stringify(op)}`);
        throw e;
      }
      w.tick();
    }
    await converge(w, rec);
  });

describe('failover model: promote/demote/sync/network-cut over two sites', () => {
  it('keeps the invariants after every step and converges back to one primary replicating (sync as today)', async () => {
    await fc.assert(property(true), { numRuns: 500 });
  });

  it('the same with sync never snapshotting a replica source (the rule proposed for src/sync)', async () => {
    await fc.assert(property(false), { numRuns: 500 });
    // Not vacuous: each kind of success (and of crash) happened many times over both runs. The seeds are random,
    // so the bounds sit well below the usual counts (a run once saw exactly 25 takeovers).
    expect(stats.planned).toBeGreaterThan(50);
    expect(stats.takeover).toBeGreaterThan(10);
    expect(stats.demoteKept).toBeGreaterThan(10);
    expect(stats.crashed).toBeGreaterThan(50);
    expect(stats.converged).toBe(1000);
  });
});
