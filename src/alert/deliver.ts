// Delivery of notifications to every configured channel within one deadline. Channels run in parallel; each
// sends in the order raised and stops at its first failure (the server is down: the rest waits for the next
// run). Email sends pending notifications as one message (a digest when there are several).
import { timerMs } from '../core/duration.js';
import { oneLine, TransientError } from '../errors.js';
import { createMailSender, describeEmail, describeMailError } from './email.js';
import { formatEmail } from './format-email.js';
import type { AlertsConfig } from './settings.js';
import { createTrapSender, describeReceiver } from './snmp.js';
import type { AlertLogger, Notification } from './types.js';

export interface ChannelSpec {
  /** `email` or `snmp:<receiver name>`: what queue entries refer to. */
  readonly id: string;
  readonly description: string;
}

export const channelsOf = (c: AlertsConfig, host: string): ChannelSpec[] => [
  ...(c.email ? [{ id: 'email', description: describeEmail(c.email) }] : []),
  ...(c.snmp?.receivers ?? []).map((r) => ({ id: `snmp:${r.name}`, description: describeReceiver(r, c.snmp?.enterpriseOid ?? '', host) })),
];

export interface Pending {
  readonly id: string;
  readonly notification: Notification;
  readonly channels: readonly string[];
}

export interface ChannelResult {
  readonly channel: string;
  readonly description: string;
  /** Ids of the pending notifications this channel delivered. */
  readonly delivered: readonly string[];
  /** How many were due on this channel. */
  readonly due: number;
  /** The last reply (`250 OK ...`, `inform acknowledged`) or null. */
  readonly detail: string | null;
  readonly error: string | null;
}

export interface DeliverOptions {
  readonly host: string;
  /** `performance.now()` value by which every channel must be done. */
  readonly deadlineAt: number;
  /** Wall clock, ms (for the "sent late" notice in emails). */
  readonly now: () => number;
  readonly logger: AlertLogger;
}

/** At most this many notifications in one digest mail; more go in further mails. */
const DIGEST_MAX = 20;

export const deliver = async (config: AlertsConfig, pending: readonly Pending[], opts: DeliverOptions): Promise<ChannelResult[]> => {
  const jobs: Promise<ChannelResult>[] = [];
  for (const ch of channelsOf(config, opts.host)) {
    const due = pending.filter((p) => p.channels.includes(ch.id));
    if (due.length === 0) continue;
    jobs.push(
      deliverChannel(config, ch, due, opts).catch((e: unknown) => ({
        channel: ch.id,
        description: ch.description,
        delivered: [],
        due: due.length,
        detail: null,
        error: oneLine(e),
      })),
    );
  }
  return Promise.all(jobs);
};

const remainingMs = (deadlineAt: number): number => deadlineAt - performance.now();

/** `work` bounded by the deadline; a late result is ignored (and its rejection handled). */
const bounded = <T>(work: Promise<T>, deadlineAt: number): Promise<T> => {
  const ms = remainingMs(deadlineAt);
  work.catch(() => undefined);
  if (ms <= 0) return Promise.reject(new TransientError('alert deadline reached before sending'));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`gave up after ${(ms / 1000).toFixed(1)}s (alert deadline)`)), timerMs(ms));
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

const deliverChannel = async (config: AlertsConfig, ch: ChannelSpec, due: readonly Pending[], opts: DeliverOptions): Promise<ChannelResult> => {
  const delivered: string[] = [];
  let detail: string | null = null;
  let error: string | null = null;
  if (ch.id === 'email' && config.email) {
    const email = config.email;
    let sender: Awaited<ReturnType<typeof createMailSender>> | undefined;
    try {
      sender = await createMailSender(email, { ehloName: opts.host, timeoutMs: Math.min(email.timeout * 1000, remainingMs(opts.deadlineAt)) });
      for (let i = 0; i < due.length; i += DIGEST_MAX) {
        const chunk = due.slice(i, i + DIGEST_MAX);
        const content = formatEmail(
          chunk.map((p) => p.notification),
          { subjectPrefix: email.subjectPrefix, sentAt: opts.now(), repeatSeconds: config.repeat },
        );
        detail = await bounded(sender.send(content), opts.deadlineAt);
        delivered.push(...chunk.map((p) => p.id));
      }
    } catch (e) {
      error = describeMailError(e);
    } finally {
      sender?.close();
    }
  } else if (config.snmp) {
    const receiver = config.snmp.receivers.find((r) => `snmp:${r.name}` === ch.id);
    if (!receiver) throw new TransientError(`no receiver for ${ch.id}`);
    let sender: Awaited<ReturnType<typeof createTrapSender>> | undefined;
    try {
      sender = await createTrapSender(receiver, { enterpriseOid: config.snmp.enterpriseOid, host: opts.host });
      for (const p of due) {
        detail = await bounded(sender.send(p.notification), opts.deadlineAt);
        delivered.push(p.id);
      }
    } catch (e) {
      error = oneLine(e);
    } finally {
      sender?.close();
    }
  }
  const result = { channel: ch.id, description: ch.description, delivered, due: due.length, detail, error };
  if (error) opts.logger.warn({ channel: ch.id, error, delivered: delivered.length, due: due.length }, 'alert delivery failed');
  else opts.logger.info({ channel: ch.id, delivered: delivered.length, detail }, 'alerts delivered');
  return result;
};
