// `zfailover alert test|status|flush`: send a test notification through every channel and report each,
// list the active alerts and the delivery queue, deliver what is queued now.
import { hostname } from 'node:os';
import type { CliContext, GlobalOptions } from './context.js';
import { worstState, type ServiceState } from '../outcome.js';
import type { CommandResult } from '../outcome.js';
import { loadConfig, type LoadedConfig } from '../config/loader.js';
import { resolveStateDir } from '../config/resolve.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { alertsDir, readAllBooks } from '../alert/book-store.js';
import { activeAlerts } from '../alert/decide.js';
import { channelsOf, deliver } from '../alert/deliver.js';
import { formatTime } from '../alert/format-email.js';
import { flushQueue } from '../alert/notify.js';
import { queueDir, readQueue } from '../alert/queue.js';
import { verifyAlertSecrets } from '../alert/secrets.js';
import type { AlertsConfig } from '../alert/settings.js';
import type { AlertLogger, Notification } from '../alert/types.js';

export interface AlertCommandInput {
  readonly globals: GlobalOptions;
  readonly ctx: CliContext;
  /** Logger for delivery details; by default the one --log-file/--verbose or the config's log section asks for. */
  readonly logger?: AlertLogger;
}

const loggerFor = async (input: AlertCommandInput, loaded: LoadedConfig): Promise<AlertLogger> =>
  input.logger ??
  (
    await createLogger({
      file: input.globals.logFile ?? loaded.data.log?.file,
      level: input.globals.logLevel ?? loaded.data.log?.level ?? 'info',
      verbose: input.globals.verbose,
    })
  ).child({ component: 'alert' });

interface Loaded {
  readonly loaded: LoadedConfig;
  readonly alerts: AlertsConfig;
  readonly stateDir: string;
}

/** The config with a usable alerts section: secrets checked, at least one channel. */
const loadAlerts = async (g: GlobalOptions): Promise<Loaded> => {
  const loaded = await loadConfig(g.config);
  const alerts = loaded.data.alerts;
  if (!alerts || channelsOf(alerts, '').length === 0) {
    throw new ConfigError(`${loaded.path ?? 'config'}: no alert channel configured (add alerts.email or alerts.snmp)`);
  }
  verifyAlertSecrets(alerts, loaded);
  return { loaded, alerts, stateDir: resolveStateDir(g.stateDir, loaded) };
};

export const runAlertTest = async (input: AlertCommandInput): Promise<CommandResult> => {
  const { globals, ctx } = input;
  const { alerts, loaded } = await loadAlerts(globals);
  const logger = await loggerFor(input, loaded);
  const host = hostname();
  const now = ctx.now();
  const n: Notification = {
    type: 'test',
    source: 'test',
    host,
    time: now,
    item: { job: '-', dataset: '-', kind: 'test', state: 'OK', summary: `test alert from zfailover on ${host}; if you read this, alerts reach you` },
    previousState: 'OK',
    // A test has no earlier state: the trap says zfPreviousState none(4), never a made-up ok.
    first: true,
    since: now,
  };
  const channels = channelsOf(alerts, host);
  // A test may take longer than a sync cycle's budget: the operator is waiting for the answer.
  const deadlineAt = performance.now() + Math.max(alerts.deadline, 10) * 1000;
  const results = await deliver(alerts, [{ id: 'test', notification: n, channels: channels.map((c) => c.id) }], {
    host,
    deadlineAt,
    now: ctx.now,
    logger,
  });
  const failed = results.filter((r) => r.error);
  const details = results.map((r) => `${r.error ? 'FAILED' : 'ok'} ${r.channel}: ${r.description}: ${r.error ?? r.detail ?? ''}`);
  const report = { channels: results.map((r) => ({ channel: r.channel, description: r.description, ok: !r.error, detail: r.detail, error: r.error })) };
  if (failed.length === 0)
    return { state: 'OK', summary: `test alert sent through ${results.length} channel${results.length === 1 ? '' : 's'}`, details, report };
  return {
    state: 'CRITICAL',
    summary: `test alert failed on ${failed.length} of ${results.length} channels: ${failed.map((r) => `${r.channel}: ${r.error}`).join('; ')}`.slice(0, 300),
    details,
    report,
  };
};

export const runAlertStatus = async (input: AlertCommandInput): Promise<CommandResult> => {
  const { globals, ctx } = input;
  const loaded = await loadConfig(globals.config, { optional: true });
  const stateDir = resolveStateDir(globals.stateDir, loaded);
  const dir = alertsDir(stateDir);
  const now = ctx.now();
  // A job deleted while CRITICAL is never reported again: its keys stop counting once `forget` has passed.
  const forgetMs = (loaded.data.alerts?.forget ?? 7 * 86400) * 1000;
  const active = readAllBooks(dir, await loggerFor(input, loaded), now)
    .flatMap(activeAlerts)
    .filter((m) => now - m.seen <= forgetMs)
    .sort((a, b) => a.since - b.since);
  const queue = readQueue(queueDir(dir));
  const states: ServiceState[] = active.map((m) => (m.notified === 'OK' ? m.state : m.notified));
  if (queue.length > 0) states.push('WARNING');
  const state = worstState(states);
  const parts = [
    active.length === 0 ? 'no active alerts' : `${active.length} active alert${active.length === 1 ? '' : 's'}`,
    queue.length === 0 ? 'no delivery pending' : `${queue.length} deliver${queue.length === 1 ? 'y' : 'ies'} pending (next run retries)`,
  ];
  const details = [
    ...active.map(
      (m) =>
        `${m.flapping ? 'FLAPPING ' : ''}${m.notified === 'OK' ? m.state : m.notified} ${m.job} ${m.dataset}${m.target ? ` -> ${m.target}` : ''} ${m.kind} since ${formatTime(m.since)}: ${m.summary}`,
    ),
    ...queue.map(
      ({ name, entry }) =>
        `queued ${entry.notification.type} ${entry.notification.item.job} ${entry.notification.item.dataset} (${formatTime(entry.notification.time)}) for ${entry.channels.join(', ')}` +
        (entry.attempts > 0 ? `: ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}, last error: ${entry.lastError ?? '?'}` : '') +
        ` [${name}]`,
    ),
  ];
  return { state, summary: parts.join(', '), details, report: { stateDir, active, queue } };
};

export const runAlertFlush = async (input: AlertCommandInput): Promise<CommandResult> => {
  const { globals, ctx } = input;
  const { alerts, stateDir, loaded } = await loadAlerts(globals);
  const r = await flushQueue(alerts, stateDir, {
    host: hostname(),
    logger: await loggerFor(input, loaded),
    now: ctx.now,
    deadlineAt: performance.now() + Math.max(alerts.deadline, 10) * 1000,
  });
  const details = r.channels.map((c) => `${c.error ? 'FAILED' : 'ok'} ${c.channel}: delivered ${c.delivered} of ${c.due}${c.error ? `: ${c.error}` : ''}`);
  if (r.pending === 0 && r.errors.length === 0) return { state: 'OK', summary: `delivered ${r.delivered}, nothing pending`, details, report: r };
  return { state: 'WARNING', summary: `delivered ${r.delivered}, ${r.pending} still pending: ${r.errors.join('; ')}`.slice(0, 300), details, report: r };
};
