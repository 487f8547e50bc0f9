// The real environment of the promote flow: both sides listed through their runners (a primary that cannot be
// listed counts as unreachable, with the reason), zfs operations through the adapter, the final sync as one
// ordinary sync cycle of the job under the lock promote already holds, hooks, and the promotion record.
import type { JobCommands } from '../../sync/invocation.js';
import type { Logger } from 'pino';
import type { TreeEvidence } from '../../core/failover/tree.js';
import { oneLine } from '../../errors.js';
import { readJobState } from '../../state/job-state.js';
import type { Lock } from '../../state/lock.js';
import { runCycle } from '../../sync/cycle.js';
import { targetFailure } from '../../sync/report.js';
import type { RunnerPool } from '../../sync/runners.js';
import { formatSide } from '../../zfs/side.js';
import { runnerFor } from '../../zfs/runner.js';
import type { PromoteEnv } from './flow.js';
import { runHooks } from './hooks.js';
import { writeRecord, type FailoverRecord } from './record.js';
import type { FailoverSettings } from './settings.js';
import type { Pair } from './sides.js';
import { listSide } from './sides.js';
import { runZfsOp } from './zfs-ops.js';

export interface PromoteEnvInput {
  readonly pair: Pair;
  readonly mode: 'planned' | 'takeover';
  readonly runners: RunnerPool;
  readonly stateDir: string;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly lock: Lock | null;
  readonly settings: FailoverSettings;
  readonly commands: JobCommands;
  readonly env: NodeJS.ProcessEnv;
}

export const realPromoteEnv = (c: PromoteEnvInput): PromoteEnv => {
  const { job, target } = c.pair;
  const primaryRunner = c.runners.runner(job.source.host, job.ssh);
  const replicaRunner = c.runners.runner(target.side.host, job.ssh);
  let primaryError: string | undefined;
  let epoch: number | null = null;
  const startedAt = c.now();
  let points: Record<string, string> | undefined;
  const runnerOf = (side: 'primary' | 'replica') => (side === 'primary' ? primaryRunner : replicaRunner);
  return {
    now: c.now,
    async listReplica() {
      const caps = await c.runners.capabilities(replicaRunner);
      return listSide(replicaRunner, caps, job, target.side, c.signal);
    },
    async listPrimary() {
      try {
        const caps = await c.runners.capabilities(primaryRunner);
        const t = await listSide(primaryRunner, caps, job, job.source, c.signal);
        primaryError = undefined;
        return t;
      } catch (e) {
        primaryError = oneLine(e);
        c.log.warn({ err: e, primary: formatSide(job.source) }, 'primary cannot be listed');
        return null;
      }
    },
    primaryError: () => primaryError,
    async evidence(): Promise<TreeEvidence | null> {
      const state = await readJobState(c.stateDir, job.id).catch(() => null);
      const t = state?.targets[target.id];
      if (!t) return null;
      const datasets = Object.fromEntries(Object.entries(t.datasets ?? {}).map(([rel, x]) => [rel, x.guid]));
      return { ok: t.lastState === 'OK', rootGuid: t.common?.guid ?? null, datasets };
    },
    async runHooks(when, mode) {
      return runHooks(c.settings.hooks, when, {
        job: job.id,
        mode,
        primary: formatSide(job.source),
        replica: formatSide(target.side),
        primaryDataset: job.source.dataset,
        replicaDataset: target.side.dataset,
        epoch,
        runners: { local: runnerFor(null, job.ssh, { env: c.env }), primary: mode === 'takeover' ? null : primaryRunner, replica: replicaRunner },
        skip: c.settings.skip,
        log: c.log,
        signal: c.signal,
      });
    },
    async apply(side, op) {
      const runner = runnerOf(side);
      const caps = await c.runners.capabilities(runner);
      c.log.info({ side: runner.label, op }, 'zfs operation');
      await runZfsOp(runner, caps, op, c.signal);
    },
    async finalSync() {
      const report = await runCycle(
        { ...job, syncSnapshot: true },
        {
          stateDir: c.stateDir,
          now: c.now,
          signal: c.signal,
          log: c.log.child({ job: job.id, phase: 'final-sync' }),
          runners: c.runners,
          dryRun: false,
          commands: c.commands,
          ...(c.lock ? { heldLock: c.lock } : {}),
        },
      );
      if (report.error) return { ok: false, summary: report.error.message };
      const t = report.targets.find((x) => x.id === target.id);
      if (!t) return { ok: false, summary: 'the target was not synced' };
      const bad = t.datasets.find((d) => d.state !== 'OK');
      if (t.error || bad || t.state !== 'OK')
        return { ok: false, summary: targetFailure(t) ?? `${bad?.target}: ${bad?.conflict ?? ''} ${bad?.message ?? bad?.outcome ?? t.state}`.trim() };
      const bytes = t.datasets.reduce((s, d) => s + d.bytes, 0);
      return { ok: true, summary: `${report.snapshot ? `@${report.snapshot}` : 'no new snapshot'}, ${bytes} bytes` };
    },
    async record(u) {
      epoch = u.epoch;
      if (u.points) points = u.points;
      const r: FailoverRecord = {
        version: 1,
        job: job.id,
        action: 'promote',
        mode: c.mode,
        pid: process.pid,
        startedAt,
        updatedAt: c.now(),
        phase: u.phase,
        epoch: u.epoch,
        primary: formatSide(job.source),
        replica: formatSide(target.side),
        ...(points ? { points } : {}),
        ...(u.detail ? { detail: u.detail } : {}),
      };
      await writeRecord(c.stateDir, r);
    },
  };
};
