// The producers' entry point: notifyAlerts() records observed states, decides what is news, queues it and
// delivers what is queued. It never throws and never outlasts its deadline; an unchanged run costs one small
// book read and one readdir, with no network.
import type { ServiceState } from '../outcome.js';
import { oneLine } from '../errors.js';
import { alertsDir, updateBook } from './book-store.js';
import { decideAlerts, eventNotifications, type AlertPolicy } from './decide.js';
import { channelsOf, deliver } from './deliver.js';
import { ensurePrivateDir } from './files.js';
import { claimAll, enqueue, list, pendingNames, queueDir, recoverClaims, settle, trimQueue } from './queue.js';
import type { AlertsConfig } from './settings.js';
import { silentLogger, type AlertEvent, type AlertItem, type AlertLogger, type AlertSource } from './types.js';

export interface NotifyInput {
  /** The validated `alerts` section; undefined or null: alerting is off and the call does nothing. */
  readonly config: AlertsConfig | undefined | null;
  readonly stateDir: string;
  /** Wall clock, ms: when the states were observed. */
  readonly now: number;
  /** This host's name, as the operator knows it (os.hostname()). */
  readonly host: string;
  readonly source: AlertSource;
  /** States observed by this run; notified only when they change. */
  readonly items?: readonly AlertItem[];
  /** One-off happenings (promotion done, demotion done): each notified exactly once. */
  readonly events?: readonly AlertEvent[];
  readonly logger?: AlertLogger;
  /** Upper bound for the whole call, ms; `alerts.deadline` applies when it is smaller. */
  readonly deadlineMs?: number;
}

export interface NotifyReport {
  /** Notifications raised by this call. */
  readonly raised: number;
  /** Deliveries made by this call (notification x channel), including queued ones from earlier runs. */
  readonly delivered: number;
  /** Queue entries still waiting for a channel. */
  readonly pending: number;
  /** One line per failed channel or internal failure (already logged). */
  readonly errors: readonly string[];
}

export const policyOf = (c: AlertsConfig): AlertPolicy => ({
  minState: c.minState,
  repeatMs: c.repeat === null ? null : c.repeat * 1000,
  flap: c.flap ? { windowMs: c.flap.window * 1000, maxChanges: c.flap.maxChanges } : null,
  forgetMs: c.forget * 1000,
});

const STATES: ReadonlySet<string> = new Set<ServiceState>(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);
const isUsable = (i: AlertItem): boolean =>
  typeof i.job === 'string' && typeof i.dataset === 'string' && typeof i.kind === 'string' && typeof i.summary === 'string' && STATES.has(i.state);

/** Never rejects: anything unforeseen becomes a logged error line in the report. */
export const notifyAlerts = async (input: NotifyInput): Promise<NotifyReport> => {
  const logger = safeLogger(input.logger ?? silentLogger);
  try {
    return await notify(input, logger);
  } catch (e) {
    logger.error({ err: oneLine(e) }, 'alerting failed');
    return { raised: 0, delivered: 0, pending: 0, errors: [`alerting failed: ${oneLine(e)}`] };
  }
};

/** A logger that cannot throw into the alert path (a full disk under the log file must not stop alerts). */
const safeLogger = (l: AlertLogger): AlertLogger => {
  const wrap =
    (f: (obj: object, msg: string) => void) =>
    (obj: object, msg: string): void => {
      try {
        f.call(l, obj, msg);
      } catch {
        // Logging is best effort here; the report still carries the errors.
      }
    };
  return { debug: wrap(l.debug), info: wrap(l.info), warn: wrap(l.warn), error: wrap(l.error) };
};

const notify = async (input: NotifyInput, logger: AlertLogger): Promise<NotifyReport> => {
  const config = input.config;
  if (!config) return { raised: 0, delivered: 0, pending: 0, errors: [] };
  const channelIds = channelsOf(config, input.host).map((c) => c.id);
  if (channelIds.length === 0) return { raised: 0, delivered: 0, pending: 0, errors: [] };
  const deadlineAt = performance.now() + Math.min(config.deadline * 1000, input.deadlineMs ?? Infinity);
  const errors: string[] = [];
  const fail = (what: string, e: unknown): void => {
    logger.error({ err: oneLine(e) }, what);
    errors.push(`${what}: ${oneLine(e)}`);
  };
  let raised = 0;
  const dir = alertsDir(input.stateDir);
  const qdir = queueDir(dir);
  const items = (input.items ?? []).filter((i) => isUsable(i) || (logger.error({ item: i }, 'alert item ignored: malformed'), false));
  const events = (input.events ?? []).filter((i) => isUsable(i) || (logger.error({ item: i }, 'alert event ignored: malformed'), false));
  try {
    if (items.length > 0 || events.length > 0) ensurePrivateDir(qdir);
  } catch (e) {
    fail('alert state directory unusable', e);
    return { raised, delivered: 0, pending: 0, errors };
  }
  const ctx = { now: input.now, source: input.source, host: input.host, policy: policyOf(config) };
  for (const [job, group] of groupByJob(items)) {
    try {
      await updateBook(
        dir,
        job,
        { logger, now: input.now, lockWaitMs: Math.max(0, Math.min(2000, (deadlineAt - performance.now()) / 2)) },
        (book) => decideAlerts(book, group, ctx),
        (d) => {
          // Queued before the book is written: a crash in between repeats a notification rather than losing it.
          if (d.notifications.length > 0) enqueue(qdir, d.notifications, channelIds);
          raised += d.notifications.length;
        },
      );
    } catch (e) {
      fail(`alert state of job ${job} not updated`, e);
    }
  }
  if (events.length > 0) {
    try {
      enqueue(qdir, eventNotifications(events, ctx), channelIds);
      raised += events.length;
    } catch (e) {
      fail('alert events not queued', e);
    }
  }
  const flushed = await flushQueue(config, input.stateDir, { host: input.host, logger, now: () => input.now, deadlineAt });
  // flushQueue never throws either; its errors come back in its report.
  return { raised, delivered: flushed.delivered, pending: flushed.pending, errors: [...errors, ...flushed.errors] };
};

const groupByJob = (items: readonly AlertItem[]): Map<string, AlertItem[]> => {
  const m = new Map<string, AlertItem[]>();
  for (const i of items) m.set(i.job, [...(m.get(i.job) ?? []), i]);
  return m;
};

export interface FlushReport {
  readonly delivered: number;
  readonly pending: number;
  readonly errors: readonly string[];
  readonly channels: readonly { readonly channel: string; readonly delivered: number; readonly due: number; readonly error: string | null }[];
}

/** Deliver what is queued (this run's notifications and earlier failures). Never throws. */
export const flushQueue = async (
  config: AlertsConfig,
  stateDir: string,
  opts: { readonly host: string; readonly logger: AlertLogger; readonly now: () => number; readonly deadlineAt: number },
): Promise<FlushReport> => {
  const { logger } = opts;
  const qdir = queueDir(alertsDir(stateDir));
  const errors: string[] = [];
  let claimed: ReturnType<typeof claimAll> = [];
  try {
    // The idle case, every 15 s: one readdir of an empty directory.
    if (list(qdir).length === 0) return { delivered: 0, pending: 0, errors, channels: [] };
    recoverClaims(qdir, logger);
    for (const d of trimQueue(qdir, { maxEntries: config.queue.maxEntries, maxAgeMs: config.queue.maxAge * 1000, now: opts.now() })) {
      logger.error({ entry: d }, 'undelivered alert dropped (queue limit or age)');
    }
    if (pendingNames(qdir).length === 0) return { delivered: 0, pending: 0, errors, channels: [] };
    claimed = claimAll(qdir, logger);
  } catch (e) {
    logger.error({ err: oneLine(e) }, 'alert queue unreadable');
    return { delivered: 0, pending: 0, errors: [`alert queue unreadable: ${oneLine(e)}`], channels: [] };
  }
  const configured = new Set(channelsOf(config, opts.host).map((c) => c.id));
  const pending = claimed.map((c) => {
    const gone = c.entry.channels.filter((ch) => !configured.has(ch));
    if (gone.length > 0) logger.warn({ entry: c.id, channels: gone }, 'queued alert for channels no longer configured: dropped for those');
    return { id: c.id, notification: c.entry.notification, channels: c.entry.channels.filter((ch) => configured.has(ch)) };
  });
  let results: Awaited<ReturnType<typeof deliver>> = [];
  try {
    results = await deliver(config, pending, opts);
  } catch (e) {
    errors.push(`alert delivery failed: ${oneLine(e)}`);
    logger.error({ err: oneLine(e) }, 'alert delivery failed');
  } finally {
    for (const [i, c] of claimed.entries()) {
      const p = pending[i] as (typeof pending)[number];
      const failed = results.filter((r) => r.error && p.channels.includes(r.channel) && !r.delivered.includes(p.id));
      const remaining = p.channels.filter((ch) => !results.some((r) => r.channel === ch && r.delivered.includes(p.id)));
      try {
        settle(qdir, c, remaining, failed.map((r) => `${r.channel}: ${r.error}`).join('; ') || null);
      } catch (e) {
        logger.error({ entry: c.id, err: oneLine(e) }, 'queued alert could not be updated');
      }
    }
  }
  for (const r of results) if (r.error) errors.push(`${r.channel}: ${r.error}`);
  let left = 0;
  try {
    left = pendingNames(qdir).length;
  } catch {
    // Reported as 0; the next run lists it again.
  }
  if (left > 0) logger.warn({ pending: left }, 'undelivered alerts kept for the next run');
  return {
    delivered: results.reduce((n, r) => n + r.delivered.length, 0),
    pending: left,
    errors,
    channels: results.map((r) => ({ channel: r.channel, delivered: r.delivered.length, due: r.due, error: r.error })),
  };
};
