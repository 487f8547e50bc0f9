// Hands the outcome of sync runs to the alert module: one item per (job, dataset, target) reported on every run,
// OK ones included, so a change (and a recovery) is notified once. Never throws, bounded in time; a run that
// found the job busy reports nothing (the holder will).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AlertItem } from '../alert/types.js';
import type { LoadedConfig } from '../config/loaded.js';
import { targetFailure, type JobReport } from './report.js';

const ALERT_DEADLINE_MS = 5000;

export const syncAlertItems = (reports: readonly JobReport[], now: number): AlertItem[] => {
  const items: AlertItem[] = [];
  for (const r of reports) {
    if (r.dryRun || (r.error?.kind === 'transient' && /already running/.test(r.error.message))) continue;
    if (r.error) {
      items.push({
        job: r.job,
        dataset: r.source,
        kind: 'replication',
        state: r.state,
        summary: r.error.message,
        ...(r.error.hint ? { command: r.error.hint } : {}),
      });
      continue;
    }
    for (const t of r.targets) {
      if (t.error) {
        items.push({
          job: r.job,
          dataset: r.source,
          target: t.id,
          kind: 'replication',
          state: t.state,
          summary: targetFailure(t)!,
          ...(t.error.hint ? { command: t.error.hint } : {}),
          ...(r.epoch !== undefined ? { epoch: r.epoch } : {}),
        });
        continue;
      }
      for (const d of t.datasets) {
        const summary = d.state === 'OK' ? `${d.source} -> ${t.side}: ${d.outcome === 'nothing-to-do' ? 'up to date' : 'replicated'}` : problemSummary(d);
        items.push({
          job: r.job,
          dataset: d.source,
          target: t.id,
          kind: 'replication',
          state: d.state,
          summary,
          ...(d.conflict ? { conflict: d.conflict } : {}),
          ...(d.hint ? { command: d.hint } : {}),
          ...(d.common ? { lagSeconds: Math.max(0, Math.round(now / 1000 - d.common.creation)) } : {}),
          ...(r.epoch !== undefined ? { epoch: r.epoch } : {}),
          details: d.steps.filter((s) => s.error).map((s) => `${s.kind} ${s.to ?? ''}: ${s.error}`),
        });
      }
    }
  }
  return items;
};

export const notifySync = async (
  loaded: LoadedConfig,
  stateDir: string,
  reports: readonly JobReport[],
  opts: { now: () => number; log: Logger },
): Promise<void> => {
  if (!loaded.data.alerts) return;
  const items = syncAlertItems(reports, opts.now());
  if (items.length === 0) return;
  const { notifyAlerts } = await import('../alert/notify.js');
  const report = await notifyAlerts({
    config: loaded.data.alerts,
    stateDir,
    now: opts.now(),
    host: hostname(),
    source: 'sync',
    items,
    logger: opts.log.child({ component: 'alert' }),
    deadlineMs: ALERT_DEADLINE_MS,
  });
  if (report.errors.length > 0) opts.log.warn({ errors: report.errors }, 'some alerts were not delivered (queued for the next run)');
};

/** The conflict named once: a message that already says it ("T diverged after @a") is not prefixed again. */
const problemSummary = (d: { target: string; conflict?: string | undefined; message?: string | undefined; outcome: string }): string => {
  const message = d.message ?? d.outcome;
  const named = d.conflict && !message.includes(d.conflict) ? `${d.conflict}: ${message}` : message;
  return named.startsWith(d.target) ? named : `${d.target}: ${named}`;
};
