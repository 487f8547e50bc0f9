// The alert memory on disk: one JSON book per job (<state>/alerts/book-<job>.json), read, decided and written
// under a lock so concurrent runs (sync and a check of the same job) never lose each other's updates.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceState } from '../outcome.js';
import { isValidId } from '../core/names.js';
import { EMPTY_BOOK, type AlertBook, type KeyMemory } from './decide.js';
import { acquireLock, writeAtomic } from './files.js';
import type { AlertLogger } from './types.js';

const BOOK_VERSION = 1;
const LOCK_STALE_MS = 30_000;

export const alertsDir = (stateDir: string): string => join(stateDir, 'alerts');

/** Job names from the config are identifiers; anything else (ad-hoc names) is hashed into one. */
const fileSafe = (job: string): string => (isValidId(job) ? job : `h${createHash('sha256').update(job).digest('hex').slice(0, 20)}`);
export const bookPath = (dir: string, job: string): string => join(dir, `book-${fileSafe(job)}.json`);

const STATES: ReadonlySet<string> = new Set<ServiceState>(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);
const isState = (v: unknown): v is ServiceState => typeof v === 'string' && STATES.has(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const isKeyMemory = (v: unknown): v is KeyMemory => {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    isStr(m.job) &&
    isStr(m.dataset) &&
    (m.target === null || isStr(m.target)) &&
    isStr(m.kind) &&
    isState(m.state) &&
    isStr(m.signature) &&
    isStr(m.summary) &&
    isNum(m.since) &&
    isNum(m.seen) &&
    isState(m.notified) &&
    isStr(m.notifiedSignature) &&
    (m.notifiedAt === null || isNum(m.notifiedAt)) &&
    Array.isArray(m.changes) &&
    m.changes.every(isNum) &&
    typeof m.flapping === 'boolean'
  );
};

/** The book in `text`; entries that do not validate are dropped (and counted), a wrong shape is null. */
export const parseBook = (text: string): { book: AlertBook; dropped: number } | null => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const o = raw as { version?: unknown; keys?: unknown };
  if (typeof raw !== 'object' || raw === null || o.version !== BOOK_VERSION || typeof o.keys !== 'object' || o.keys === null) return null;
  const keys: Record<string, KeyMemory> = {};
  let dropped = 0;
  for (const [k, v] of Object.entries(o.keys as Record<string, unknown>)) {
    if (isKeyMemory(v)) keys[k] = v;
    else dropped++;
  }
  return { book: { keys }, dropped };
};

export const formatBook = (book: AlertBook): string => `${JSON.stringify({ version: BOOK_VERSION, keys: book.keys })}\n`;

/** A missing book is empty; an unreadable one is set aside (so it can be inspected) and replaced. */
export const readBook = (file: string, logger: AlertLogger, now: number): AlertBook => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_BOOK;
    throw e;
  }
  const parsed = parseBook(text);
  if (!parsed) {
    const aside = `${file}.corrupt-${now}`;
    renameSync(file, aside);
    logger.warn({ file, aside }, 'alert state unreadable; set aside, current problems will be notified again');
    return EMPTY_BOOK;
  }
  if (parsed.dropped > 0) logger.warn({ file, dropped: parsed.dropped }, 'alert state: invalid entries dropped');
  return parsed.book;
};

/**
 * Read the job's book and `decide` (pure). Nothing changed: done, without a lock or a write (the common case,
 * every 15 s). Otherwise, under the lock, read and decide again (another run may have written meanwhile),
 * `commit` the decision (enqueue its notifications), then write the book. Without the lock after `lockWaitMs`
 * it proceeds anyway: a rare duplicate notification is better than none, and holders keep it for milliseconds.
 */
export const updateBook = async <D extends { readonly changed: boolean; readonly book: AlertBook }>(
  dir: string,
  job: string,
  opts: { readonly logger: AlertLogger; readonly now: number; readonly lockWaitMs: number },
  decide: (book: AlertBook) => D,
  commit: (decision: D) => void,
): Promise<void> => {
  const file = bookPath(dir, job);
  if (!decide(readBook(file, opts.logger, opts.now)).changed) return;
  const release = await acquireLock(`${file}.lock`, { waitMs: opts.lockWaitMs, staleMs: LOCK_STALE_MS });
  if (!release) opts.logger.warn({ file }, 'alert state lock busy; proceeding without it');
  try {
    const d = decide(readBook(file, opts.logger, opts.now));
    if (!d.changed) return;
    commit(d);
    writeAtomic(file, formatBook(d.book));
  } finally {
    release?.();
  }
};

/** Every job's book (for `alert status`), unlocked: a snapshot is enough for display. */
export const readAllBooks = (dir: string, logger: AlertLogger, now: number): AlertBook[] => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => /^book-.*\.json$/.test(n)).map((n) => readBook(join(dir, n), logger, now));
};
