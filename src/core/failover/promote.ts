// May this replica be promoted, and how: the preflight of `zfailover promote` as a pure function of both sides'
// trees (the primary's is null when it cannot be reached). Planned switchover: fence the primary (readonly),
// final sync, then decideSwitch() on fresh listings. Takeover: drop partial receives, roll each dataset to its
// newest snapshot, promote at that point. A replica already primary is finished (re-runs are safe).
import { andThen, fixLine } from '../operator-command.js';
import { planReplication } from '../plan.js';
import { newestSnapshot } from '../versions.js';
import type { OpGroup, ZfsOp } from './ops.js';
import { demotePrimaryOps, promoteOps } from './switch.js';
import { epochOf, joinRel, refuse, relsTopDown, rootOf, sourceRole, targetRole, treePoint, type Refusal, type TreeEvidence, type TreeView } from './tree.js';

export { decideSwitch, demotePrimaryOps, promoteOps } from './switch.js';

export type PromoteMode = 'planned' | 'takeover';

export interface PromoteInput {
  readonly mode: PromoteMode;
  /** ms since the epoch. */
  readonly now: number;
  /** The primary's tree, or null when its host cannot be reached. */
  readonly primary: TreeView | null;
  /** Why the primary could not be reached (for messages). */
  readonly primaryError?: string;
  readonly replica: TreeView;
  /** Planned mode: refuse when the replica's data is older than this (seconds); null: no limit. */
  readonly maxLag: number | null;
  /** Takeover: promote each dataset at its newest snapshot even when the tree is not at one point. */
  readonly acceptTree: boolean;
  readonly evidence: TreeEvidence | null;
  /** An earlier promotion of this job did not finish (its record says so): finishing it runs the after hooks. */
  readonly interrupted: boolean;
  /** Commands shown in hints, e.g. `zfailover promote --job data`. */
  readonly command: string;
  readonly demoteCommand: string;
  /** Runnable commands for refusal hints (core/operator-command.ts); prose without them. */
  readonly commands?: PromoteCommands | undefined;
}

export interface PromoteCommands {
  readonly sync: string;
  readonly status: string;
  /** A sh line running `stages` on the replica's host. */
  readonly onReplica: (stages: readonly (readonly string[])[]) => string;
}

export interface PromotePlan {
  readonly kind: 'promote' | 'finish' | 'already';
  readonly mode: PromoteMode;
  /** The epoch the replica carries once promoted. */
  readonly epoch: number;
  /** Run the `before` hooks (and `abort` ones on a failure after them). */
  readonly hooksBefore: boolean;
  /** Groups run before the final sync (fence the primary) or, in a takeover, before promoting. */
  readonly prepare: readonly OpGroup[];
  /** Planned: a final sync, then decideSwitch() on fresh listings gives the switch. */
  readonly finalSync: boolean;
  /** Known now (takeover, finish, already): promote the replica, then demote the primary. */
  readonly switch: readonly OpGroup[] | null;
  readonly hooksAfter: boolean;
  /** Seconds of history the replica lacks (planned: before the final sync; takeover: lost unless demote keeps it). */
  readonly lagSeconds: number | null;
  readonly notes: readonly string[];
}

export type PromoteDecision = PromotePlan | Refusal;

const plan = (p: Omit<PromotePlan, 'notes'> & { notes?: readonly string[] }): PromotePlan => ({ notes: [], ...p });

export const decidePromote = (input: PromoteInput): PromoteDecision => {
  const { replica, primary } = input;
  const r = rootOf(replica);
  if (!r) return refuse('unsafe', `replica ${replica.root} does not exist`);
  const p = rootOf(primary);
  const rEpoch = epochOf(r);
  const pEpoch = epochOf(p);
  const nowSec = Math.floor(input.now / 1000);

  if (targetRole(r) === 'primary') return alreadyPrimary(input, rEpoch, nowSec);
  const childPrimary = [...replica.datasets.values()].find((d) => d.role === 'primary');
  if (childPrimary)
    return refuse(
      'target-is-primary',
      `${childPrimary.name} in the replica tree carries zfailover:role=primary`,
      `inspect it: zfs get -r zfailover:role ${replica.root}`,
    );

  if (input.mode === 'planned') {
    if (!primary) {
      return refuse(
        'unsafe',
        `primary unreachable${input.primaryError ? ` (${input.primaryError})` : ''}: a planned switchover needs it`,
        fixLine(takeoverCommand(input), 'only if it is down for good'),
      );
    }
    if (!p) return refuse('unsafe', `primary ${primary.root} does not exist`, fixLine(takeoverCommand(input), 'only if it is lost'));
    if (sourceRole(p) !== 'primary') return refuse('source-not-primary', `${p.name} is not primary (role=${p.role}, epoch ${pEpoch})`, statusHint(input));
    if (rEpoch > pEpoch) return refuse('target-epoch-higher', `${r.name} has epoch ${rEpoch}, above the primary's ${pEpoch}`, statusHint(input));
    return plannedPlan(input, primary, rEpoch, pEpoch);
  }

  // Takeover.
  if (p && sourceRole(p) === 'primary') {
    return refuse('unsafe', `primary ${p.name} answers and is primary (epoch ${pEpoch}): switch over without losing data instead`, input.command);
  }
  if (p && pEpoch > rEpoch) {
    return refuse(
      'target-epoch-higher',
      `${p.name} is a replica of epoch ${pEpoch}, above this replica's ${rEpoch}: another side was promoted later`,
      statusHint(input),
    );
  }
  return takeoverPlan(input, Math.max(rEpoch, pEpoch) + 1, nowSec);
};

const plannedPlan = (input: PromoteInput, primary: TreeView, rEpoch: number, pEpoch: number): PromoteDecision => {
  const notes: string[] = [];
  let lag = 0;
  for (const rel of relsTopDown(primary)) {
    const src = primary.datasets.get(rel)!;
    const dst = input.replica.datasets.get(rel) ?? null;
    const d = planReplication(
      { versions: src.versions, epoch: pEpoch },
      dst && {
        versions: dst.versions,
        written: dst.written,
        resume: dst.resumeToken ? { token: dst.resumeToken, toGuid: null } : null,
        role: dst.role,
        epoch: dst.epoch,
      },
    );
    if (d.kind === 'conflict') {
      return refuse(
        d.conflict,
        `${dst?.name ?? joinRel(input.replica.root, rel)}: ${d.conflict} against ${src.name}: the final sync would fail`,
        input.commands
          ? fixLine(`${input.commands.sync} --dry-run`, `shows the conflict and its fix; then ${input.command}`)
          : `resolve it first (zfailover sync --dry-run explains it), then ${input.command}`,
      );
    }
    if (d.kind === 'plan') {
      if (d.common) lag = Math.max(lag, Math.floor(input.now / 1000) - d.common.target.creation);
      else notes.push(`${src.name} is not on the replica yet: the final sync sends it in full while the service is stopped`);
    }
  }
  if (input.maxLag !== null && lag > input.maxLag) {
    return refuse(
      'unsafe',
      `the replica is ${lag}s behind (max_lag ${input.maxLag}s): the final sync would keep the service down too long`,
      input.commands
        ? fixLine(andThen(input.commands.sync, input.command), 'lets the replica catch up, then promotes')
        : 'let zfailover sync catch up, or raise --max-lag',
    );
  }
  const fence = relsTopDown(primary)
    .map((rel) => primary.datasets.get(rel)!)
    .filter((d) => d.readonly !== true)
    .map((d): ZfsOp => ({ op: 'set', dataset: d.name, props: { readonly: 'on' } }));
  return plan({
    kind: 'promote',
    mode: 'planned',
    epoch: Math.max(rEpoch, pEpoch) + 1,
    hooksBefore: true,
    prepare: fence.length > 0 ? [{ side: 'primary', what: 'stop writes on the primary', ops: fence }] : [],
    finalSync: true,
    switch: null,
    hooksAfter: true,
    lagSeconds: lag,
    notes,
  });
};

const takeoverPlan = (input: PromoteInput, epoch: number, nowSec: number): PromoteDecision => {
  const { replica } = input;
  for (const d of replica.datasets.values()) {
    if (d.written !== null && d.written > 0) {
      return refuse(
        'target-modified',
        `${d.name} was written on this replica since its newest snapshot (${d.written} bytes): those writes are not the primary's`,
        input.commands
          ? fixLine(
              andThen(input.commands.onReplica([['zfs', 'snapshot', `${d.name}@keep`]]), takeoverCommand(input)),
              'keeps those writes in @keep, then takes over',
            )
          : `keep them: zfs snapshot ${d.name}@keep (then re-run), or drop them: zfs rollback ${d.name}@<newest>`,
      );
    }
    // Unknown `written` (zfs-fuse) on a writable replica. The fix unmounts it: zfs-fuse keeps reporting a mounted
    // dataset's readonly as `off (temporary)` after `zfs set readonly=on`, until it is mounted again.
    if (d.written === null && d.readonly === false) {
      return refuse(
        'unsafe',
        `${d.name} is writable and this host cannot tell whether it was written since its newest snapshot`,
        input.commands
          ? fixLine(
              andThen(
                input.commands.onReplica([['zfs', 'set', 'readonly=on', d.name]]),
                input.commands.onReplica([['zfs', 'snapshot', `${d.name}@keep`]]),
                input.commands.onReplica([['zfs', 'unmount', d.name]]),
                takeoverCommand(input),
              ),
              'stops writes, keeps them in @keep, then takes over (which mounts it again)',
            )
          : `keep any writes: zfs snapshot ${d.name}@keep, or drop them: zfs rollback ${d.name}@<newest>; then zfs set readonly=on ${d.name} and re-run`,
      );
    }
  }
  const tp = treePoint(replica, input.evidence, input.acceptTree);
  if (tp.kind === 'mixed') {
    return refuse(
      'unsafe',
      `the tree is not at one snapshot: ${tp.problems[0]}${tp.problems.length > 1 ? ` (and ${tp.problems.length - 1} more)` : ''}`,
      `promote it only as a whole: re-run with --accept-tree to promote each dataset at its newest snapshot`,
    );
  }
  const prepare: ZfsOp[] = [];
  for (const rel of relsTopDown(replica)) {
    const d = replica.datasets.get(rel)!;
    if (d.resumeToken) prepare.push({ op: 'abort-resume', dataset: d.name });
    // Unknown `written` (zfs-fuse) on a readonly replica: rolling back loses nothing and leaves it exactly at
    // its newest snapshot. Never -r: no snapshot is destroyed.
    if (d.written === null) prepare.push({ op: 'rollback', snapshot: `${d.name}@${tp.points.get(rel)!.name}` });
  }
  const root = tp.points.get('')!;
  return plan({
    kind: 'promote',
    mode: 'takeover',
    epoch,
    hooksBefore: true,
    prepare: prepare.length > 0 ? [{ side: 'replica', what: 'roll the replica to its newest complete snapshot', ops: prepare }] : [],
    finalSync: false,
    switch: [{ side: 'replica', what: `promote the replica (epoch ${epoch})`, ops: promoteOps(replica, epoch, tp.points, nowSec) }],
    hooksAfter: true,
    lagSeconds: Math.max(0, nowSec - root.creation),
    notes: [...tp.notes, `writes on the old primary after @${root.name} are not here; zfailover demote keeps them when it returns`],
  });
};

/** The replica is primary already: finish what an interrupted run left (or confirm), never a second epoch. */
const alreadyPrimary = (input: PromoteInput, epoch: number, nowSec: number): PromoteDecision => {
  const { replica, primary } = input;
  const p = rootOf(primary);
  const ensure: OpGroup = { side: 'replica', what: 'make sure the primary is writable and mounted', ops: promoteOps(replica, epoch, null, nowSec) };
  if (primary && p && sourceRole(p) === 'primary') {
    const pEpoch = epochOf(p);
    if (pEpoch >= epoch) {
      return refuse(
        'two-primaries',
        `${rootOf(replica)!.name} and ${p.name} are both primary (epochs ${epoch} and ${pEpoch})`,
        fixLine(input.demoteCommand, `if this side serves (keeps the other's writes aside); otherwise demote this one`),
      );
    }
    // A planned switchover stopped between promoting this side and demoting the old one: finish it when the
    // old primary is fenced and holds nothing the new one lacks.
    const unsynced = divergedFrom(primary, replica);
    if (input.mode === 'planned' && p.readonly === true && unsynced.length === 0) {
      return plan({
        kind: 'finish',
        mode: 'planned',
        epoch,
        hooksBefore: false,
        prepare: [],
        finalSync: false,
        switch: [ensure, { side: 'primary', what: `demote the old primary (epoch ${epoch})`, ops: demotePrimaryOps(primary, epoch) }],
        hooksAfter: true,
        lagSeconds: 0,
        notes: ['finishing a switchover that stopped after the promotion'],
      });
    }
    return refuse(
      'two-primaries',
      `${rootOf(replica)!.name} is already primary (epoch ${epoch}); ${p.name} is still primary (epoch ${pEpoch})${unsynced.length > 0 ? ` with data the new primary lacks (${unsynced[0]})` : ''}`,
      `${input.demoteCommand} (keeps its writes aside)`,
    );
  }
  return plan({
    kind: 'already',
    mode: input.mode,
    epoch,
    hooksBefore: false,
    prepare: [],
    finalSync: false,
    switch: [ensure],
    hooksAfter: input.interrupted,
    lagSeconds: null,
    notes: input.interrupted ? ['finishing an interrupted promotion'] : [],
  });
};

/** Datasets of `a` whose newest snapshot `b` lacks, or that may hold unsnapshotted writes. */
const divergedFrom = (a: TreeView, b: TreeView): string[] => {
  const out: string[] = [];
  for (const [rel, d] of a.datasets) {
    const newest = newestSnapshot(d.versions);
    const other = b.datasets.get(rel);
    if (d.written !== null && d.written > 0) out.push(`${d.name} written since @${newest?.name ?? '-'}`);
    else if (newest && !other?.versions.some((v) => v.kind === 'snapshot' && v.guid === newest.guid)) out.push(`${d.name}@${newest.name}`);
  }
  return out;
};

/**
 * The takeover again: a refused takeover's fix must repeat --takeover --force (a plain promote is a planned
 * switchover, which needs the primary this takeover does without). The flags are bare words: appending keeps
 * the builder's quoting of everything before them.
 */
const takeoverCommand = (input: PromoteInput): string => `${input.command} --takeover --force`;

const statusHint = (input: PromoteInput): string =>
  input.commands ? fixLine(input.commands.status, 'shows which side serves and each epoch') : 'see which side serves: zfailover status';
