// ZFAILOVER-MIB (mibs/ZFAILOVER-MIB.txt) as code: notification and object OIDs relative to the configured
// enterprise OID, and the varbinds of one notification in the MIB's order. Pure: values are bytes and
// numbers; the net-snmp adapter maps the type names. test/alert/mib.test.ts checks these against the file.
import type { ServiceState } from '../outcome.js';
import type { Notification, NotificationType } from './types.js';

export const NOTIFICATIONS: Readonly<Record<NotificationType, { readonly arc: number; readonly name: string }>> = {
  problem: { arc: 1, name: 'zfAlertProblem' },
  recovery: { arc: 2, name: 'zfAlertRecovery' },
  reminder: { arc: 3, name: 'zfAlertReminder' },
  flapping: { arc: 4, name: 'zfAlertFlapping' },
  event: { arc: 5, name: 'zfAlertEvent' },
  test: { arc: 6, name: 'zfAlertTest' },
};

/** Objects carried by every notification, in the order of the NOTIFICATION-TYPE OBJECTS clause. */
export const OBJECTS = [
  { name: 'zfHost', arc: 1 },
  { name: 'zfJob', arc: 2 },
  { name: 'zfDataset', arc: 3 },
  { name: 'zfTarget', arc: 4 },
  { name: 'zfAlertKind', arc: 5 },
  { name: 'zfState', arc: 6 },
  { name: 'zfPreviousState', arc: 7 },
  { name: 'zfMessage', arc: 8 },
  { name: 'zfLagSeconds', arc: 9 },
  { name: 'zfEpoch', arc: 10 },
  { name: 'zfConflict', arc: 11 },
  { name: 'zfCommand', arc: 12 },
  { name: 'zfSource', arc: 13 },
  { name: 'zfEventTime', arc: 14 },
] as const;

export type ObjectName = (typeof OBJECTS)[number]['name'];

/** ZfServiceState: the values are the plugin exit codes. */
export const STATE_VALUE: Readonly<Record<ServiceState, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };
/** ZfPreviousState's none(4): nothing was notified before for this key. */
export const PREVIOUS_NONE = 4;

export interface VarbindSpec {
  readonly name: ObjectName;
  readonly oid: string;
  readonly type: 'OctetString' | 'Integer';
  readonly value: Uint8Array | number;
}

export const notificationOid = (enterpriseOid: string, type: NotificationType): string => `${enterpriseOid}.0.${NOTIFICATIONS[type].arc}`;

export const objectOid = (enterpriseOid: string, name: ObjectName): string =>
  `${enterpriseOid}.1.${(OBJECTS.find((o) => o.name === name) as (typeof OBJECTS)[number]).arc}.0`;

const MAX_TEXT = 255;
const INT32_MAX = 2147483647;

/** UTF-8 bytes of `text`, at most `max` of them, never cutting a character in two. */
export const utf8Truncate = (text: string, max = MAX_TEXT): Uint8Array => {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
};

/** SNMPv2-TC DateAndTime, 11 octets, in UTC. */
export const dateAndTime = (ms: number): Uint8Array => {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  return Uint8Array.from([
    (y >> 8) & 0xff,
    y & 0xff,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    Math.floor(d.getUTCMilliseconds() / 100),
    0x2b, // '+'
    0,
    0,
  ]);
};

const int32OrUnknown = (n: number | undefined): number => (n === undefined || !Number.isFinite(n) || n < 0 ? -1 : Math.min(INT32_MAX, Math.round(n)));

/** The message object: the summary, with the note (flapping, stable again) when there is one. */
export const notificationMessage = (n: Notification): string => (n.note ? `${n.item.summary} (${n.note})` : n.item.summary).replace(/\s+/g, ' ').trim();

export const notificationVarbinds = (n: Notification, enterpriseOid: string): VarbindSpec[] => {
  const text = (s: string): Uint8Array => utf8Truncate(s.replace(/[\r\n]+/g, ' '));
  const values: Readonly<Record<ObjectName, Uint8Array | number>> = {
    zfHost: text(n.host),
    zfJob: text(n.item.job),
    zfDataset: text(n.item.dataset),
    zfTarget: text(n.item.target ?? ''),
    zfAlertKind: text(n.item.kind),
    zfState: STATE_VALUE[n.item.state],
    zfPreviousState: n.first ? PREVIOUS_NONE : STATE_VALUE[n.previousState],
    zfMessage: text(notificationMessage(n)),
    zfLagSeconds: int32OrUnknown(n.item.lagSeconds),
    zfEpoch: int32OrUnknown(n.item.epoch),
    zfConflict: text(n.item.conflict ?? ''),
    zfCommand: text(n.item.command ?? ''),
    zfSource: text(n.source),
    zfEventTime: dateAndTime(n.time),
  };
  return OBJECTS.map(({ name }) => {
    const value = values[name];
    return { name, oid: objectOid(enterpriseOid, name), type: typeof value === 'number' ? 'Integer' : 'OctetString', value };
  });
};

/**
 * Sender engineID for v3 traps when none is configured (RFC 3411 SnmpEngineID, text format): the enterprise
 * number with the high bit set, format 4, then the host name (at most 27 octets). Stable per host, distinct
 * between hosts, which snmptrapd needs (`createUser -e <id>`); `zfailover alert test` prints it.
 */
export const defaultEngineId = (enterpriseOid: string, host: string): string => {
  const pen = Number(enterpriseOid.split('.')[6] ?? 32473);
  const head = ((0x80000000 | pen) >>> 0).toString(16).padStart(8, '0');
  const text = utf8Truncate(host === '' ? 'zfailover' : host, 27);
  return `${head}04${[...text].map((b) => b.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
};
