// The model-based test's histories and invariants: the real runCycle (planner, conflict policy, cursors, holds,
// cleanup, job lock and state file) runs against the in-memory ZFS of model/zfs-model.ts, through the endpoint
// seam, without root. Random histories: writes on either side, operator snapshots and prunes, kills at every
// phase, full targets, lost connections, concurrent runs. After every cycle the iron rule is checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { pino } from 'pino';
import { expect } from 'vitest';
import { ensureStateDir } from '../../../../src/state/dir.js';
import { runCycle } from '../../../../src/sync/cycle.js';
import { jobCommands } from '../../../../src/sync/invocation.js';
import { SYNC_PHASES, type SyncPhase } from '../../../../src/sync/phases.js';
import type { JobReport } from '../../../../src/sync/report.js';
import type { JobSpec } from '../../../../src/sync/job.js';
import { parseSyncSnapshotName } from '../../../../src/core/names.js';
import { job as jobOf } from '../../checks/builders.js';
import { KilledError, ModelRun, OPENZFS, sameSet, World, ZFS_FUSE, type Ds } from './zfs-model.js';

const log = pino({ level: 'silent' });

/** What the random histories exercised, over all runs: the test fails if a branch was never reached. */
export const seen = new Map<string, number>();
const count = (what: string): void => {
  seen.set(what, (seen.get(what) ?? 0) + 1);
};
const dirs: string[] = [];
export const removeStateDirs = (): void => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
};
/** Set MODEL_TRACE=1 to see each cycle's report and the model after it (replaying a counterexample). */
const TRACE = process.env.MODEL_TRACE === '1';
const trace = (world: World, what: string, report: JobReport | null): void => {
  if (!TRACE) return;
  console.log(`--- ${what}: ${report ? `${report.state} ${report.error?.message ?? ''}` : 'killed'}`);
  const steps = (d: JobReport['targets'][number]['datasets'][number]): string =>
    d.steps.map((x) => `${x.kind}${x.ok === false ? '!' : ''} ${x.from ?? ''}->${x.to ?? ''}`).join('; ');
  for (const t of report?.targets ?? []) {
    console.log(
      `  ${t.id} ${t.state} ${t.error?.message ?? ''}`,
      t.datasets.map((d) => `${d.target} ${d.outcome} ${d.conflict ?? ''} ${d.message ?? ''} [${steps(d)}]`),
    );
  }
  for (const [h, host] of world.hosts) {
    for (const d of host.datasets.values()) {
      const versions = [...d.snaps.map((x) => `${x.name}=${x.guid.slice(-3)}`), ...d.bookmarks.map((b) => `#${b.name.slice(-22)}`)].join(' ');
      console.log(`  ${h} ${d.name}: ${versions}${d.token ? ' (partial)' : ''}`);
    }
  }
};

const SOURCE = 'tank/data';
const TARGETS = [
  { host: 'b', root: 'backup/data' },
  { host: 'c', root: 'vault/data' },
] as const;

export type Fault = { kind: 'kill'; phase: SyncPhase; n: number } | { kind: 'full' | 'down' | 'cut'; target: number };
export type Action =
  | { kind: 'write-source'; child: boolean }
  | { kind: 'write-target'; target: number }
  | { kind: 'snap-target'; target: number }
  | { kind: 'snap-source' }
  | { kind: 'prune-source'; pick: number }
  | { kind: 'sync'; fault: Fault | null }
  | { kind: 'concurrent' }
  /** A run killed past its receive, then a run with that target down: two syncs (rare as a random pair). */
  | { kind: 'kill-then-down'; phase: 'received' | 'confirmed' | 'target-done' | 'cleaned'; target: number };

export interface Scenario {
  readonly sourceCaps: 'openzfs' | 'zfs-fuse';
  readonly targetCaps: readonly ('openzfs' | 'zfs-fuse')[];
  readonly targets: number;
  readonly recursive: boolean;
  readonly bookmarks: boolean;
  readonly holds: boolean;
  readonly resume: boolean;
  readonly initial: 'all' | 'newest';
  readonly actions: readonly Action[];
}

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('kill' as const), phase: fc.constantFrom(...SYNC_PHASES), n: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constantFrom('full' as const, 'down' as const, 'cut' as const), target: fc.integer({ min: 0, max: 1 }) }),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write-source' as const), child: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write-target' as const), target: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snap-target' as const), target: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('snap-source' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('prune-source' as const), pick: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('sync' as const), fault: fc.option(fault, { freq: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('concurrent' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('kill-then-down' as const),
      phase: fc.constantFrom('received' as const, 'confirmed' as const, 'target-done' as const, 'cleaned' as const),
      target: fc.integer({ min: 0, max: 1 }),
    }),
  },
);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  sourceCaps: fc.constantFrom('openzfs' as const, 'zfs-fuse' as const),
  targetCaps: fc.tuple(fc.constantFrom('openzfs' as const, 'zfs-fuse' as const), fc.constantFrom('openzfs' as const, 'zfs-fuse' as const)),
  targets: fc.integer({ min: 1, max: 2 }),
  recursive: fc.boolean(),
  bookmarks: fc.boolean(),
  holds: fc.boolean(),
  resume: fc.boolean(),
  initial: fc.constantFrom('all' as const, 'newest' as const),
  actions: fc.array(action, { minLength: 1, maxLength: 14 }),
});

const capsOf = (c: 'openzfs' | 'zfs-fuse') => (c === 'openzfs' ? OPENZFS : ZFS_FUSE);

/** A world and a job for the scenario: the source tree has data and no snapshot yet; target pools are empty. */
const setUp = (s: Scenario): { world: World; job: JobSpec; stateDir: string } => {
  const world = new World();
  world.addHost('local', capsOf(s.sourceCaps));
  world.createDataset('local', 'tank');
  world.createDataset('local', SOURCE);
  if (s.recursive) world.createDataset('local', `${SOURCE}/sub`);
  world.write('local', SOURCE);
  const targets = TARGETS.slice(0, s.targets);
  targets.forEach((t, i) => {
    world.addHost(t.host, capsOf(s.targetCaps[i]!));
    world.createDataset(t.host, t.root.split('/')[0]!);
  });
  for (const rel of s.recursive ? ['', '/sub'] : ['']) {
    for (const t of targets) world.pairs.push({ source: { host: 'local', name: `${SOURCE}${rel}` }, target: { host: t.host, name: `${t.root}${rel}` } });
  }
  const job = jobOf(
    SOURCE,
    targets.map((t) => `root@${t.host}:${t.root}`),
    {
      recursive: s.recursive,
      bookmarks: s.bookmarks,
      holds: s.holds,
      resume: s.resume,
      initial: s.initial,
    },
  );
  const stateDir = mkdtempSync(`${tmpdir()}/zfo-model-`);
  dirs.push(stateDir);
  return { world, job, stateDir };
};

const fingerprint = (d: Ds | undefined): string => (d ? JSON.stringify([d.snaps.map((s) => s.guid), [...d.live].sort()]) : 'absent');

/** One run of the tool; a run killed at a phase rejects with KilledError (the process is gone), anything else is a bug. */
const cycle = async (world: World, job: JobSpec, stateDir: string, run: ModelRun): Promise<JobReport | null> => {
  world.clock += 15_000;
  try {
    const report = await runCycle(job, {
      stateDir,
      now: () => world.clock,
      signal: new AbortController().signal,
      log,
      runners: run,
      dryRun: false,
      commands: jobCommands(job, {}),
      phase: run.phase,
    });
    trace(world, `cycle${run.kill ? ` (kill at ${run.kill.phase})` : ''}`, report);
    return report;
  } catch (e) {
    if (e instanceof KilledError && run.dead) {
      trace(world, `cycle killed at ${run.kill?.phase}`, null);
      return null;
    }
    throw e;
  }
};

/** The iron rule, checked after every cycle (events: what this cycle did). */
const checkCycle = (world: World, job: JobSpec, report: JobReport | null, before: Map<string, string>, eventsFrom: number, clean: boolean): void => {
  expect(world.violations).toEqual([]);
  for (const e of world.events.slice(eventsFrom)) {
    count(e.kind === 'transfer' ? `transfer ${e.step} ${e.ok ? 'ok' : 'failed'}` : 'destroy');
    if (e.kind !== 'transfer') continue;
    // The increment starts from the newest snapshot both sides share (by GUID) and ends at the newest source snapshot.
    if (e.step === 'incremental') {
      expect({ target: e.target, from: e.fromGuid }).toEqual({ target: e.target, from: e.newestCommonGuid });
      // This job's superseded sync snapshots (one installation in the model) may be jumped over with -i, and
      // nothing else. A step ends at the newest source snapshot, except: from a bookmark (-i to the first snapshot
      // after it, -I on: core/plan.ts), after a jump, or just before a superseded sync snapshot to jump next.
      const own = (n: string | null): boolean => n !== null && parseSyncSnapshotName(n)?.job === job.id;
      expect({ target: e.target, jumped: e.jumped.filter((n) => !own(n)) }).toEqual({ target: e.target, jumped: [] });
      if (!e.fromBookmark && e.jumped.length === 0 && !own(e.after))
        expect({ target: e.target, to: e.toGuid }).toEqual({ target: e.target, to: e.newestSourceGuid });
    }
    if (e.step === 'full') {
      expect({ target: e.target, common: e.newestCommonGuid }).toEqual({ target: e.target, common: null });
      if (job.initial === 'newest') expect({ target: e.target, to: e.toGuid }).toEqual({ target: e.target, to: e.newestSourceGuid });
    }
  }
  count(report ? `cycle ${report.state}` : 'cycle killed');
  if (!report) return;
  for (const t of report.targets) {
    for (const d of t.datasets) {
      // A conflict is typed, and nothing on that target dataset changed.
      if (d.outcome === 'conflict' || d.conflict) {
        expect(typeof d.conflict).toBe('string');
        count(`conflict ${d.conflict}`);
        const host = TARGETS.find((x) => t.side.includes(x.host))!.host;
        expect({ dataset: d.target, now: fingerprint(world.ds(host, d.target)) }).toEqual({ dataset: d.target, now: before.get(`${host}:${d.target}`) });
      }
    }
  }
  // Without a fault in this cycle, whatever is not OK is a typed conflict (or a child skipped under one).
  if (clean) expect(problems(report)).toEqual([]);
  // After a successful cycle the replica's newest snapshot is the source's newest, by GUID, with the same data.
  if (clean && report.state === 'OK') {
    count('clean OK cycle checked');
    for (const p of world.pairs) {
      if (!job.targets.some((t) => t.side.host?.host === p.target.host)) continue;
      const source = world.ds(p.source.host, p.source.name)!;
      const src = World.newest(source)!;
      const dst = world.ds(p.target.host, p.target.name);
      // Where the operator pruned snapshots the replica received, the source's newest version newer than its newest
      // snapshot is a cursor bookmark of one (nothing newer to send): the replica may be at one of those. It is never
      // behind the source's newest snapshot. (Not "at the newest bookmark": that is another target's cursor where
      // this one could not receive the pruned snapshot in time; its data is checked below either way.)
      const ahead = source.bookmarks.filter((b) => b.txg > src.txg).map((b) => b.guid);
      expect({ pair: p.target.name, newest: World.newest(dst)?.guid }).toEqual({
        pair: p.target.name,
        newest: expect.toBeOneOf([src.guid, ...ahead]),
      });
      // The data too; a replica's own writes past its newest snapshot show only where `written` exists (zfs-fuse
      // cannot tell, README: the next increment's receive reports them as target-modified).
      expect(sameSet(World.newest(dst)!.data, source.live)).toBe(true);
      if (world.host(p.target.host).caps.written) expect(sameSet(dst!.live, source.live)).toBe(true);
    }
  }
};

const snapshotTargets = (world: World): Map<string, string> => {
  const m = new Map<string, string>();
  for (const [label, h] of world.hosts) for (const d of h.datasets.values()) m.set(`${label}:${d.name}`, fingerprint(d));
  return m;
};

/** What a report says went wrong that is neither OK nor a typed conflict. */
const problems = (r: JobReport): string[] => [
  ...(r.error ? [`job: ${r.error.message}`] : []),
  ...r.targets.flatMap((t) =>
    t.error
      ? [`${t.id}: ${t.error.message}`]
      : t.datasets.filter((d) => d.state !== 'OK' && !d.conflict && d.outcome !== 'skipped').map((d) => `${d.target}: ${d.outcome} ${d.message ?? ''}`),
  ),
];

/** Plays a history; returns the report of the last (fault-free) cycle. */
export const play = async (s: Scenario): Promise<JobReport> => {
  const { world, job, stateDir } = setUp(s);
  await ensureStateDir(stateDir);
  const targets = TARGETS.slice(0, s.targets);
  let autoSeq = 0;
  // A run killed past a receive leaves the state file behind the target: its write-ahead record must cover it
  // when the next run cannot list that target (counted: the property test requires the histories to reach it).
  let killedPastReceive = false;
  const expanded = s.actions.flatMap((a): Action[] =>
    a.kind === 'kill-then-down'
      ? [
          { kind: 'sync', fault: { kind: 'kill', phase: a.phase, n: 1 } },
          { kind: 'sync', fault: { kind: 'down', target: a.target } },
        ]
      : [a],
  );
  for (const a of expanded) {
    if (TRACE) console.log(`>>> ${JSON.stringify(a)}`);
    switch (a.kind) {
      case 'write-source':
        world.write('local', a.child && s.recursive ? `${SOURCE}/sub` : SOURCE);
        break;
      case 'write-target': {
        const t = targets[a.target % targets.length]!;
        const d = world.ds(t.host, t.root);
        // The operator turns readonly off to write into the replica (README: a repair before --rollback-target).
        if (d) d.props.set('readonly', 'off');
        world.write(t.host, t.root);
        break;
      }
      case 'snap-target': {
        const t = targets[a.target % targets.length]!;
        world.takeSnapshot(t.host, t.root, `manual-${++autoSeq}`);
        break;
      }
      case 'snap-source':
        world.takeSnapshot('local', SOURCE, `auto-${++autoSeq}`);
        break;
      case 'prune-source': {
        const d = world.ds('local', SOURCE)!;
        const s0 = d.snaps[a.pick % Math.max(1, d.snaps.length)];
        if (s0) world.operatorDestroy('local', SOURCE, s0.name);
        break;
      }
      case 'sync': {
        const f = a.fault;
        if (f?.kind === 'down' && killedPastReceive) count('target down after a kill past a receive');
        const host = f && f.kind !== 'kill' ? world.host(targets[f.target % targets.length]!.host) : null;
        if (host && f?.kind === 'full') host.full = true;
        if (host && f?.kind === 'down') host.down = true;
        if (host && f?.kind === 'cut') host.cutTransfers = 1;
        const run = new ModelRun(world, f?.kind === 'kill' ? { phase: f.phase, n: f.n } : null);
        const before = snapshotTargets(world);
        const from = world.events.length;
        const report = await cycle(world, job, stateDir, run);
        checkCycle(world, job, report, before, from, f === null);
        if (report === null && ['received', 'confirmed', 'target-done', 'cleaned'].includes(run.kill!.phase)) killedPastReceive = true;
        else if (report && report.targets.every((t) => !t.error)) killedPastReceive = false;
        if (host) {
          host.full = false;
          host.down = false;
          host.cutTransfers = 0;
        }
        break;
      }
      case 'concurrent': {
        const runs = [new ModelRun(world), new ModelRun(world)];
        const before = snapshotTargets(world);
        const from = world.events.length;
        const reports = await Promise.all(runs.map((r) => cycle(world, job, stateDir, r)));
        // The job lock: never two runs of one job at once.
        const [x, y] = runs as [ModelRun, ModelRun];
        if (x.firstOp !== null && y.firstOp !== null) expect(x.lastOp! < y.firstOp || y.lastOp! < x.firstOp).toBe(true);
        for (const r of reports) checkCycle(world, job, r, before, from, false);
        break;
      }
    }
  }
  // Faults gone: a few clean cycles end OK with every replica at the source's newest snapshot, or in a typed
  // conflict (a child is skipped while its parent is in conflict; the parent's own report says why).
  let last: JobReport | null = null;
  for (let i = 0; i < 3; i++) {
    const before = snapshotTargets(world);
    const from = world.events.length;
    last = await cycle(world, job, stateDir, new ModelRun(world));
    checkCycle(world, job, last, before, from, true);
    if (last?.state === 'OK') break;
  }
  expect(problems(last!)).toEqual([]);
  return last!;
};
