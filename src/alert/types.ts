// What producers hand to the alert module (items and events) and what it turns them into (notifications).
// Pure types: no I/O.
import type { ServiceState } from '../outcome.js';
import type { ConflictName } from '../errors.js';

/** The zfailover action that observed the state. */
export type AlertSource = 'sync' | 'check' | 'snapshot' | 'prune' | 'promote' | 'demote' | 'test';

/**
 * One observed state of something watched. The de-duplication key is (job, dataset, target, kind): a producer
 * reports the same key on every run, and a notification goes out only when its state changes.
 */
export interface AlertItem {
  readonly job: string;
  readonly dataset: string;
  /** Target id when the state concerns one replication target only. */
  readonly target?: string;
  /** What is watched: `replication`, `rpo`, `snapshot`, `prune`, `promotion`, `two-primaries`, a check name. */
  readonly kind: string;
  readonly state: ServiceState;
  /** One line: what is wrong (or that it is fine). */
  readonly summary: string;
  /** Evidence lines for the email body (common snapshot, source-only/target-only snapshots, stderr, ...). */
  readonly details?: readonly string[];
  readonly conflict?: ConflictName;
  /** The command that resolves the problem, shown to the operator. */
  readonly command?: string;
  readonly lagSeconds?: number;
  readonly epoch?: number;
}

/** A one-off happening (promotion done, demotion done): always notified once, never de-duplicated. */
export type AlertEvent = AlertItem;

/**
 * problem: the state became bad or changed while bad (or its conflict changed); recovery: back to OK;
 * reminder: still bad after `repeat`; flapping: too many changes, further ones are held back;
 * event: a one-off happening; test: `zfailover alert test`.
 */
export type NotificationType = 'problem' | 'recovery' | 'reminder' | 'flapping' | 'event' | 'test';

export interface Notification {
  readonly type: NotificationType;
  readonly source: AlertSource;
  readonly host: string;
  /** When it was raised, ms since the epoch (deliveries may be later when queued). */
  readonly time: number;
  readonly item: AlertItem;
  /** Level last notified for this key before this notification (OK when none). */
  readonly previousState: ServiceState;
  /** True when nothing was ever notified for this key (previousState is then only the default). */
  readonly first?: boolean;
  /** When the current state began, ms. */
  readonly since: number;
  /** Extra sentence, e.g. why a flapping notice was sent or that the state is stable again. */
  readonly note?: string;
}

/** The subset of pino's logger the alert module uses; secrets never reach it. */
export interface AlertLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: AlertLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
