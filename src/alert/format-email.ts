// Email text of notifications: the subject carries state, host, job and dataset; the body the details and
// the command that resolves the problem. Several pending notifications become one digest. Pure.
import { worstState } from '../outcome.js';
import { formatDuration } from '../core/duration.js';
import { notificationMessage } from './mib.js';
import type { Notification } from './types.js';

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface EmailFormatOptions {
  readonly subjectPrefix: string;
  /** When the message is being sent, ms; a notice says so when it is much later than the alert. */
  readonly sentAt: number;
  readonly repeatSeconds: number | null;
}

const MAX_SUBJECT = 200;
const LATE_MS = 60_000;

const oneLine = (s: string): string =>
  s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 3)}...`);
export const formatTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** STATE word(s) that open the subject. */
export const stateLabel = (n: Notification): string => {
  switch (n.type) {
    case 'problem':
      return n.item.state;
    case 'recovery':
      return `${n.item.state} (recovered)`;
    case 'reminder':
      return `${n.item.state} (still)`;
    case 'flapping':
      return `FLAPPING ${n.item.state}`;
    case 'event':
      return `EVENT ${n.item.kind}`;
    case 'test':
      return 'TEST';
  }
};

const where = (n: Notification): string => `${n.item.job} ${n.item.dataset}${n.item.target ? ` -> ${n.item.target}` : ''}`;

const subjectOf = (n: Notification, prefix: string): string =>
  clip(
    oneLine(n.type === 'test' ? `${prefix} TEST ${n.host}: ${n.item.summary}` : `${prefix} ${stateLabel(n)} ${n.host} ${where(n)}: ${n.item.summary}`),
    MAX_SUBJECT,
  );

const field = (name: string, value: string): string => `${`${name}:`.padEnd(12)}${oneLine(value)}`;

/** The block describing one notification (the whole body of a single-notification mail). */
export const notificationBlock = (n: Notification, sentAt: number): string[] => {
  const i = n.item;
  const lines = [`${stateLabel(n)}: ${notificationMessage(n)}`, ''];
  if (n.type === 'test') return [...lines, field('Host', n.host), field('Raised', formatTime(n.time))];
  lines.push(field('Host', n.host), field('Job', i.job), field('Dataset', i.dataset));
  if (i.target) lines.push(field('Target', i.target));
  lines.push(field('Watching', `${i.kind} (reported by ${n.source})`));
  if (n.type === 'event') lines.push(field('State', i.state));
  else lines.push(field('State', `${i.state} since ${formatTime(n.since)}${n.first ? ' (first notification)' : ` (previously notified: ${n.previousState})`}`));
  if (i.lagSeconds !== undefined) lines.push(field('Lag', formatDuration(i.lagSeconds)));
  if (i.epoch !== undefined) lines.push(field('Epoch', String(i.epoch)));
  if (i.conflict) lines.push(field('Conflict', i.conflict));
  lines.push(field('Raised', formatTime(n.time)));
  if (sentAt - n.time > LATE_MS) {
    lines.push(field('Sent', `${formatTime(sentAt)}, ${formatDuration((sentAt - n.time) / 1000)} late: earlier deliveries failed`));
  }
  if (i.details && i.details.length > 0) lines.push('', 'Details:', ...i.details.map((d) => `  ${d.replace(/\r?\n/g, '\n  ')}`));
  if (i.command) lines.push('', 'To resolve, run:', `  ${oneLine(i.command)}`);
  return lines;
};

const footer = (host: string, repeatSeconds: number | null): string[] => [
  '',
  '-- ',
  `zfailover on ${host}: one message per state change${repeatSeconds ? `, reminders every ${formatDuration(repeatSeconds)} while a problem lasts` : ''}.`,
];

const headersOf = (n: Notification): Record<string, string> => ({
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
  'X-Zfailover-Type': n.type,
  'X-Zfailover-State': n.item.state,
  'X-Zfailover-Host': oneLine(n.host),
  'X-Zfailover-Job': oneLine(n.item.job),
  'X-Zfailover-Dataset': oneLine(n.item.dataset),
  'X-Zfailover-Kind': oneLine(n.item.kind),
  ...(n.item.target ? { 'X-Zfailover-Target': oneLine(n.item.target) } : {}),
  ...(n.item.conflict ? { 'X-Zfailover-Conflict': n.item.conflict } : {}),
});

/** One mail for one or more notifications (in the order given). */
export const formatEmail = (ns: readonly Notification[], opts: EmailFormatOptions): EmailContent => {
  const first = ns[0];
  if (!first) throw new RangeError('formatEmail needs at least one notification');
  if (ns.length === 1) {
    return {
      subject: subjectOf(first, opts.subjectPrefix),
      text: [...notificationBlock(first, opts.sentAt), ...footer(first.host, opts.repeatSeconds)].join('\n') + '\n',
      headers: headersOf(first),
    };
  }
  const worst = worstState(ns.map((n) => n.item.state));
  const list = ns.map((n) => `${stateLabel(n)} ${where(n)}`).join('; ');
  const subject = clip(oneLine(`${opts.subjectPrefix} ${worst} ${first.host}: ${ns.length} alerts: ${list}`), MAX_SUBJECT);
  const rule = '-'.repeat(72);
  const body = [
    `${ns.length} alerts from ${first.host}, oldest first:`,
    '',
    ...ns.map((n) => `  ${stateLabel(n)} ${where(n)}: ${oneLine(n.item.summary)}`),
    ...ns.flatMap((n) => ['', rule, ...notificationBlock(n, opts.sentAt)]),
    ...footer(first.host, opts.repeatSeconds),
  ];
  return {
    subject,
    text: body.join('\n') + '\n',
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Zfailover-Type': 'digest',
      'X-Zfailover-State': worst,
      'X-Zfailover-Host': oneLine(first.host),
      'X-Zfailover-Count': String(ns.length),
    },
  };
};
