// Conflict resolution as a separate, explicit policy: by default every conflict stands. With rollbackTarget
// (`--rollback-target`), a target that is newer, modified or diverged is rolled back to the common snapshot
// first. Fencing conflicts (primary target, higher epoch) and a missing common snapshot are never resolved here.
import { DEFAULT_PLAN_OPTIONS, incrementalSteps, type Decision, type PlanOptions, type Step } from './plan.js';
import { newestSnapshot } from './versions.js';

export interface ConflictPolicy {
  readonly rollbackTarget: boolean;
}

export const resolveConflict = (decision: Decision, policy: ConflictPolicy, options: PlanOptions = DEFAULT_PLAN_OPTIONS): Decision => {
  if (decision.kind !== 'conflict' || !policy.rollbackTarget) return decision;
  switch (decision.conflict) {
    case 'target-newer':
    case 'target-modified':
    case 'diverged': {
      const { common } = decision;
      const destroys = decision.conflict === 'target-modified' ? [] : decision.targetOnly;
      const rollback: Step = { kind: 'rollback', to: common.target, destroys };
      const sourceOnly = decision.conflict === 'diverged' ? decision.sourceOnly : [];
      const steps: Step[] = [rollback];
      if (sourceOnly.length > 0) steps.push(...incrementalSteps(common.source, sourceOnly, options));
      const newest = newestSnapshot(sourceOnly) ?? common.source;
      return { kind: 'plan', steps, common, newest };
    }
    default:
      return decision;
  }
};

/**
 * Where the target cannot report `written` (zfs-fuse), a modification shows only when the receive fails. With
 * the rollback policy the plan then starts by rolling the target back to the common snapshot (a no-op for an
 * unmodified target), so `--rollback-target` works the same on every host.
 */
export const rollbackUnknownWrites = (decision: Decision, policy: ConflictPolicy, writtenKnown: boolean): Decision => {
  if (!policy.rollbackTarget || writtenKnown || decision.kind !== 'plan' || !decision.common) return decision;
  if (decision.steps[0]?.kind !== 'incremental') return decision;
  return { ...decision, steps: [{ kind: 'rollback', to: decision.common.target, destroys: [] }, ...decision.steps] };
};
