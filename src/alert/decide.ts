// De-duplication and flap damping: which observed states become notifications. Pure (time is a parameter);
// the per-key memory ("book") goes in and comes out, and the adapter persists it between 15-second runs.
//
// Per key (job, dataset, target, kind):
//   - the alert level is the state, or OK when the state is below `minState`;
//   - a notification goes out when the level (or, while bad, the conflict) differs from the last notified one:
//     `problem` when bad, `recovery` when OK; while it stays bad, a `reminder` every `repeat`;
//   - `maxChanges` level changes inside `window` send one `flapping` notice and hold back further ones until
//     the level has been stable for a whole window, which is then notified as problem or recovery.
import type { ServiceState } from '../outcome.js';
import { formatDuration } from '../core/duration.js';
import type { AlertEvent, AlertItem, AlertSource, Notification } from './types.js';

export interface AlertPolicy {
  readonly minState: 'WARNING' | 'CRITICAL';
  /** Reminder interval while bad, ms; null for none. */
  readonly repeatMs: number | null;
  readonly flap: { readonly windowMs: number; readonly maxChanges: number } | null;
  /** Keys not observed for this long are forgotten (dataset removed from a job, job deleted). */
  readonly forgetMs: number;
}

export interface KeyMemory {
  readonly job: string;
  readonly dataset: string;
  readonly target: string | null;
  readonly kind: string;
  /** Last observed state and its alert signature (level, plus the conflict while bad). */
  readonly state: ServiceState;
  readonly signature: string;
  /** Summary observed when the signature last changed (for `alert status`). */
  readonly summary: string;
  /** When the observed signature began, ms. */
  readonly since: number;
  /** Last observation, refreshed at most every SEEN_RESOLUTION_MS so unchanged runs need no write. */
  readonly seen: number;
  /** Level and signature last notified (OK/`OK` when nothing is outstanding), and when. */
  readonly notified: ServiceState;
  readonly notifiedSignature: string;
  readonly notifiedAt: number | null;
  /** Times of signature changes inside the flap window. */
  readonly changes: readonly number[];
  readonly flapping: boolean;
}

export interface AlertBook {
  readonly keys: Readonly<Record<string, KeyMemory>>;
}

export interface Decision {
  readonly book: AlertBook;
  readonly notifications: readonly Notification[];
  /** False when the book is unchanged and need not be written. */
  readonly changed: boolean;
}

export const EMPTY_BOOK: AlertBook = { keys: {} };
export const SEEN_RESOLUTION_MS = 3600_000;

/** Unambiguous key of (job, dataset, target, kind). */
export const alertKey = (i: Pick<AlertItem, 'job' | 'dataset' | 'target' | 'kind'>): string => JSON.stringify([i.job, i.dataset, i.target ?? '', i.kind]);

/** The state as far as notifications are concerned: below minState counts as OK. */
export const alertLevel = (state: ServiceState, minState: AlertPolicy['minState']): ServiceState =>
  state === 'OK' || (minState === 'CRITICAL' && state !== 'CRITICAL') ? 'OK' : state;

const signatureOf = (level: ServiceState, conflict: string | undefined): string => (level === 'OK' ? 'OK' : conflict ? `${level}:${conflict}` : level);

export interface DecideContext {
  readonly now: number;
  readonly source: AlertSource;
  readonly host: string;
  readonly policy: AlertPolicy;
}

export const decideAlerts = (book: AlertBook, items: readonly AlertItem[], ctx: DecideContext): Decision => {
  const keys: Record<string, KeyMemory> = { ...book.keys };
  const notifications: Notification[] = [];
  let changed = false;
  for (const item of items) {
    const key = alertKey(item);
    const r = observe(keys[key], item, ctx);
    keys[key] = r.memory;
    changed ||= r.changed;
    if (r.notification) notifications.push(r.notification);
  }
  for (const [key, m] of Object.entries(keys)) {
    if (ctx.now - m.seen > ctx.policy.forgetMs) {
      delete keys[key];
      changed = true;
    }
  }
  return { book: changed ? { keys } : book, notifications, changed };
};

interface Observed {
  readonly memory: KeyMemory;
  readonly changed: boolean;
  readonly notification?: Notification;
}

const observe = (prev: KeyMemory | undefined, item: AlertItem, ctx: DecideContext): Observed => {
  const { now, policy } = ctx;
  const level = alertLevel(item.state, policy.minState);
  const sig = signatureOf(level, item.conflict);
  let m: KeyMemory = prev ?? {
    job: item.job,
    dataset: item.dataset,
    target: item.target ?? null,
    kind: item.kind,
    state: item.state,
    signature: sig,
    summary: item.summary,
    since: now,
    seen: now,
    notified: 'OK',
    notifiedSignature: 'OK',
    notifiedAt: null,
    changes: [],
    flapping: false,
  };
  let changed = prev === undefined;
  // Changes outside [now - window, now] no longer count (also drops "future" ones after a clock step back).
  const windowMs = policy.flap?.windowMs ?? 0;
  let changes = m.changes.filter((t) => t >= now - windowMs && t <= now);
  if (prev && sig !== m.signature) {
    changes = policy.flap ? [...changes, now] : [];
    m = { ...m, signature: sig, summary: item.summary, since: now };
    changed = true;
  }
  if (item.state !== m.state) {
    m = { ...m, state: item.state };
    changed = true;
  }
  if (now - m.seen >= SEEN_RESOLUTION_MS) {
    m = { ...m, seen: now };
    changed = true;
  }
  if (changes.length !== m.changes.length || changes.some((t, i) => t !== m.changes[i])) {
    // Only persisted along with another change: pruning alone is recomputed identically next time.
    m = { ...m, changes };
  }

  const notify = (type: Notification['type'], note?: string): Observed => ({
    memory: { ...m, notified: level, notifiedSignature: sig, notifiedAt: now },
    changed: true,
    notification: {
      type,
      source: ctx.source,
      host: ctx.host,
      time: now,
      item,
      previousState: m.notified,
      ...(m.notifiedAt === null ? { first: true } : {}),
      since: m.since,
      ...(note !== undefined ? { note } : {}),
    },
  });

  if (policy.flap) {
    const minutes = policy.flap.windowMs % 60_000 === 0 ? `${policy.flap.windowMs / 60_000}m` : formatDuration(policy.flap.windowMs / 1000);
    if (!m.flapping && changes.length >= policy.flap.maxChanges) {
      m = { ...m, flapping: true };
      return notify('flapping', `state changed ${changes.length} times in ${minutes}; further changes are held back until it is stable for ${minutes}`);
    }
    if (m.flapping) {
      if (changes.length > 0) {
        if (reminderDue(m, policy, now)) return notify('flapping', `still flapping: state changed ${changes.length} times in the last ${minutes}`);
        return { memory: m, changed };
      }
      m = { ...m, flapping: false };
      return notify(level === 'OK' ? 'recovery' : 'problem', `stable again for ${minutes} after flapping`);
    }
  }
  if (sig !== m.notifiedSignature) return notify(level === 'OK' ? 'recovery' : 'problem');
  if (level !== 'OK' && reminderDue(m, policy, now)) return notify('reminder');
  return { memory: m, changed };
};

const reminderDue = (m: KeyMemory, policy: AlertPolicy, now: number): boolean =>
  policy.repeatMs !== null && m.notifiedAt !== null && now - m.notifiedAt >= policy.repeatMs;

/** One-off events are never de-duplicated: each becomes exactly one notification. */
export const eventNotifications = (events: readonly AlertEvent[], ctx: Omit<DecideContext, 'policy'>): Notification[] =>
  events.map((item) => ({
    type: 'event',
    source: ctx.source,
    host: ctx.host,
    time: ctx.now,
    item,
    previousState: item.state,
    since: ctx.now,
  }));

/** Keys whose notified level is bad (or flapping): what `alert status` lists. */
export const activeAlerts = (book: AlertBook): KeyMemory[] =>
  Object.values(book.keys)
    .filter((m) => m.notified !== 'OK' || m.flapping)
    .sort((a, b) => a.since - b.since);
