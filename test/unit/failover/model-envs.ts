// The promote/demote flows (src/actions/*/flow.ts) wired to the model world instead of runners: every zfs
// operation goes through World.apply, the final/first sync is World.sync, records live in memory, and a crash
// after N operations kills the "process": nothing after it runs, not even the flow's own clean-up.
import { formatDivergedDatasetName } from '../../../src/core/names.js';
import type { DemoteEnv } from '../../../src/actions/demote/flow.js';
import type { PromoteEnv } from '../../../src/actions/promote/flow.js';
import type { SiteId, World } from './world.js';

export class Crash extends Error {}

/** One unfinished record per (host, job): what a re-run finds. */
export interface Records {
  promote: Partial<Record<SiteId, boolean>>;
  demote: Partial<Record<SiteId, string | null>>;
}

/** Counts operations; the (n+1)th and everything after it throws Crash. */
export class Fuse {
  private left: number;
  dead = false;
  constructor(n: number | null) {
    this.left = n ?? Number.POSITIVE_INFINITY;
  }
  tick(): void {
    if (this.dead || this.left-- <= 0) {
      this.dead = true;
      throw new Crash('killed');
    }
  }
}

/** `zfailover promote` run on `at`'s host, promoting `at` from the other site. */
export const promoteEnv = (w: World, at: SiteId, records: Records, fuse: Fuse): PromoteEnv => {
  const peer = w.other(at);
  return {
    now: () => w.clock,
    listReplica: async () => w.tree(at),
    listPrimary: async () => (fuse.dead ? null : w.remoteTree(at, peer)),
    primaryError: () => (w.partitioned ? 'connection refused' : undefined),
    evidence: async () => null,
    runHooks: async () => {
      fuse.tick();
      return [];
    },
    apply: async (side, op) => {
      fuse.tick();
      if (side === 'primary' && w.partitioned) throw new Error('unreachable');
      w.apply(side === 'replica' ? at : peer, op);
    },
    finalSync: async () => {
      fuse.tick();
      const r = w.sync(peer, at);
      return { ok: r === 'plan' || r === 'nothing-to-do', summary: r };
    },
    record: async (u) => {
      fuse.tick();
      records.promote[at] = u.phase === 'started' || u.phase === 'switched' || u.phase === 'failed' ? true : false;
    },
  };
};

/** `zfailover demote` making `at` a replica of the other site. */
export const demoteEnv = (w: World, at: SiteId, records: Records, fuse: Fuse): DemoteEnv => {
  const peer = w.other(at);
  return {
    now: () => w.clock,
    listSource: async () => {
      const t = w.remoteTree(at, peer);
      if (!t) throw new Error('unreachable');
      return t;
    },
    listTarget: async () => w.tree(at),
    listAside: async (name) => (w.sites[at].datasets.has(name) ? w.tree(at, name) : null),
    interruptedAside: () => records.demote[at] ?? null,
    asideName: (epoch) => formatDivergedDatasetName(w.sites[at].root, epoch, w.clock),
    runHooks: async () => {
      fuse.tick();
      return [];
    },
    apply: async (op) => {
      fuse.tick();
      w.apply(at, op);
    },
    sync: async () => {
      fuse.tick();
      const r = w.sync(peer, at);
      return { ok: r === 'plan' || r === 'nothing-to-do', summary: r };
    },
    record: async (u) => {
      fuse.tick();
      if (u.phase === 'started') records.demote[at] = u.aside;
      if (u.phase === 'done') records.demote[at] = null;
    },
  };
};
