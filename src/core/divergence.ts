// Classifies a replica's relation to its source for the divergence check. Pure. The relation is read off the
// planner's own decision (planReplication), so the check and `sync` can never disagree about a dataset: what the
// check calls diverged is exactly what sync refuses as diverged. Only two-primaries is added on top of it.
import type { ConflictName } from '../errors.js';
import { snapshotsAfter, type CommonPoint } from './common.js';
import type { Role } from './dataset.js';
import { planReplication, type Decision, type SourceState, type TargetState } from './plan.js';
import type { Version } from './versions.js';

export type Relation =
  /** The replica has the source's newest snapshot and nothing else. */
  | 'in-sync'
  /** The next sync sends an increment (or finishes / drops a partial receive): normal between cycles. */
  | 'behind'
  /** The target does not exist yet: the first sync creates it. */
  | 'absent'
  /** Both sides carry zfailover:role=primary: split brain. */
  | 'two-primaries'
  | Exclude<ConflictName, 'two-primaries'>;

export interface ReplicaView extends TargetState {
  readonly role: Role | null;
}

export interface SourceView extends SourceState {
  readonly role: Role | null;
}

export interface Classification {
  readonly relation: Relation;
  readonly decision: Decision;
  readonly common: CommonPoint | null;
  /** Source snapshots the replica lacks after the common one. */
  readonly sourceOnly: readonly Version[];
  /** Replica snapshots after the common one (they block an incremental receive). */
  readonly targetOnly: readonly Version[];
  /** A partial receive is pending on the replica (resumed or aborted by the next sync). */
  readonly resumePending: boolean;
}

export const classifyReplica = (source: SourceView, target: ReplicaView | null): Classification => {
  const decision = planReplication(source, target);
  const resumePending = target?.resume != null;
  const base = { decision, resumePending };
  if (target && source.role === 'primary' && target.role === 'primary') {
    return { ...base, relation: 'two-primaries', common: commonOf(decision), sourceOnly: [], targetOnly: [] };
  }
  switch (decision.kind) {
    case 'nothing-to-do':
      return { ...base, relation: 'in-sync', common: decision.common, sourceOnly: [], targetOnly: [] };
    case 'plan': {
      const sourceOnly = snapshotsAfter(source.versions, decision.common?.source ?? null);
      return { ...base, relation: target === null ? 'absent' : 'behind', common: decision.common, sourceOnly, targetOnly: [] };
    }
    case 'conflict': {
      const c = decision;
      const sourceOnly = c.conflict === 'diverged' ? c.sourceOnly : [];
      const targetOnly = c.conflict === 'diverged' || c.conflict === 'target-newer' ? c.targetOnly : [];
      return { ...base, relation: c.conflict, common: commonOf(c), sourceOnly, targetOnly };
    }
  }
};

const commonOf = (d: Decision): CommonPoint | null => ('common' in d ? (d.common ?? null) : null);

/** Relations that need an operator; the rest converge by themselves on the next sync. */
export const needsOperator = (r: Relation): boolean => !(r === 'in-sync' || r === 'behind' || r === 'absent');
