// Deliveries not yet made: one file per notification under <state>/alerts/queue/, named
// <raised ms>-<seq>-<random>.json so that name order is the order raised. Each entry lists the channels it
// still has to reach. A run claims entries by renaming them to `<name>.claim-<pid>` (atomic), so two runs
// never deliver the same entry at once; claims left by a dead process go back to the queue.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, unlinkQuiet, writeAtomic } from './files.js';
import type { AlertLogger, Notification } from './types.js';

export interface QueueEntry {
  readonly notification: Notification;
  /** Channel ids (`email`, `snmp:<name>`) still to deliver to. */
  readonly channels: readonly string[];
  readonly attempts: number;
  readonly lastError: string | null;
}

export interface Claimed {
  /** Base name without `.json`: unique, and ordered as raised. */
  readonly id: string;
  readonly entry: QueueEntry;
  readonly claimFile: string;
}

const CLAIM_STALE_MS = 10 * 60_000;
const ENTRY_RE = /^(\d{15})-\d{4}-[0-9a-f]{8}\.json$/;
const CLAIM_RE = /^(\d{15}-\d{4}-[0-9a-f]{8}\.json)\.claim-(\d+)$/;

export const queueDir = (alertsDir: string): string => join(alertsDir, 'queue');

/** Every name in the queue directory (entries, claims, set-aside files); [] when it does not exist. */
export const list = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
};

/** Names of queued (unclaimed) entries, oldest first. One readdir: the whole cost of an idle run. */
export const pendingNames = (dir: string): string[] => list(dir).filter((n) => ENTRY_RE.test(n));

/** Raised time of an entry, from its name. */
export const raisedAt = (name: string): number => Number(ENTRY_RE.exec(name)?.[1] ?? 0);

export const enqueue = (dir: string, notifications: readonly Notification[], channels: readonly string[]): string[] => {
  const rand = randomBytes(4 * notifications.length).toString('hex');
  return notifications.map((n, i) => {
    const name = `${String(Math.max(0, Math.trunc(n.time))).padStart(15, '0')}-${String(i % 10000).padStart(4, '0')}-${rand.slice(i * 8, i * 8 + 8)}.json`;
    writeAtomic(join(dir, name), formatEntry({ notification: n, channels, attempts: 0, lastError: null }));
    return name;
  });
};

const formatEntry = (e: QueueEntry): string => `${JSON.stringify({ version: 1, ...e })}\n`;

const parseEntry = (text: string): QueueEntry | null => {
  try {
    const o = JSON.parse(text) as Partial<QueueEntry> & { version?: unknown };
    const n = o.notification as Partial<Notification> | undefined;
    const ok =
      o.version === 1 &&
      Array.isArray(o.channels) &&
      o.channels.every((c) => typeof c === 'string') &&
      typeof o.attempts === 'number' &&
      typeof n === 'object' &&
      n !== null &&
      typeof n.type === 'string' &&
      typeof n.time === 'number' &&
      typeof n.host === 'string' &&
      typeof n.item === 'object' &&
      n.item !== null &&
      typeof n.item.summary === 'string' &&
      typeof n.item.state === 'string';
    return ok
      ? { notification: o.notification as Notification, channels: o.channels as string[], attempts: o.attempts as number, lastError: o.lastError ?? null }
      : null;
  } catch {
    return null;
  }
};

/**
 * Claims left by processes that died (SIGKILL by Monit's timeout) go back to the queue. File ages are
 * compared with the real clock (`wallNow`), not with the time the alerts are stamped with.
 */
export const recoverClaims = (dir: string, logger: AlertLogger, wallNow: number = Date.now()): number => {
  let n = 0;
  for (const name of list(dir)) {
    const m = CLAIM_RE.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    let stale = !isAlive(Number(m[2]));
    if (!stale) {
      try {
        stale = wallNow - statSync(file).mtimeMs > CLAIM_STALE_MS; // pid reused by another process
      } catch {
        continue;
      }
    }
    if (!stale) continue;
    try {
      renameSync(file, join(dir, m[1] as string));
      n++;
    } catch {
      // Recovered by another run at the same moment.
    }
  }
  if (n > 0) logger.info({ count: n }, 'alert deliveries of an interrupted run returned to the queue');
  return n;
};

/** Claim every queued entry; unreadable ones are set aside as `.bad` and logged. */
export const claimAll = (dir: string, logger: AlertLogger): Claimed[] => {
  const claimed: Claimed[] = [];
  for (const name of pendingNames(dir)) {
    const file = join(dir, name);
    const claimFile = `${file}.claim-${process.pid}`;
    try {
      renameSync(file, claimFile);
    } catch {
      continue; // another run claimed it first
    }
    const entry = parseEntry(safeRead(claimFile));
    if (!entry) {
      renameSync(claimFile, `${file}.bad`);
      logger.error({ file: `${file}.bad` }, 'queued alert unreadable; set aside');
      continue;
    }
    claimed.push({ id: name.slice(0, -'.json'.length), entry, claimFile });
  }
  return claimed;
};

const safeRead = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Done with a claim: gone when no channel remains, else back in the queue with what is left. */
export const settle = (dir: string, c: Claimed, remaining: readonly string[], error: string | null): void => {
  if (remaining.length > 0) {
    writeAtomic(join(dir, `${c.id}.json`), formatEntry({ ...c.entry, channels: remaining, attempts: c.entry.attempts + 1, lastError: error }));
  }
  unlinkQuiet(c.claimFile);
};

/** Drop entries beyond `maxEntries` (oldest first) and older than `maxAgeMs`; returns what was dropped. */
export const trimQueue = (dir: string, opts: { maxEntries: number; maxAgeMs: number; now: number }): string[] => {
  const names = pendingNames(dir);
  const dropped: string[] = [];
  names.forEach((name, i) => {
    const tooMany = i < names.length - opts.maxEntries;
    if (tooMany || opts.now - raisedAt(name) > opts.maxAgeMs) {
      const summary = parseEntry(safeRead(join(dir, name)))?.notification.item.summary ?? '?';
      unlinkQuiet(join(dir, name));
      dropped.push(`${name}: ${summary}`);
    }
  });
  return dropped;
};

/** Queued entries for display (`alert status`). */
export const readQueue = (dir: string): { name: string; entry: QueueEntry }[] =>
  pendingNames(dir).flatMap((name) => {
    const entry = parseEntry(safeRead(join(dir, name)));
    return entry ? [{ name, entry }] : [];
  });
