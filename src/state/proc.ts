// Process identity on Linux: a pid plus its start time (field 22 of /proc/<pid>/stat) plus the boot id names
// one process for good, so a pid reused after a crash or a reboot is never taken for the original.
import { readFile } from 'node:fs/promises';

export interface ProcessId {
  readonly pid: number;
  /** Start time in clock ticks since boot; null where /proc could not tell. */
  readonly procStart: number | null;
}

interface ProcStat {
  readonly state: string;
  readonly start: number;
}

/** Parse /proc/<pid>/stat. `comm` (field 2) may contain spaces and parentheses: split after the last `)`. */
export const parseProcStat = (text: string): ProcStat | null => {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/); // fields[0] is field 3 (state)
  const start = Number(fields[19]); // field 22
  return fields[0] && Number.isSafeInteger(start) ? { state: fields[0], start } : null;
};

const readStat = async (pid: number): Promise<ProcStat | null> => {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
};

export const procStartOf = async (pid: number): Promise<number | null> => (await readStat(pid))?.start ?? null;

let cachedBootId: string | null | undefined;
/** Changes on every boot; a lock written before a reboot is stale whatever its pid. */
export const bootId = async (): Promise<string | null> => {
  if (cachedBootId === undefined) {
    cachedBootId = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
      (t) => t.trim() || null,
      () => null,
    );
  }
  return cachedBootId;
};

const exists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * True when `id` is still the same running process. A zombie (killed, not yet reaped) is not running; with no
 * recorded start time only existence can be checked.
 */
export const isRunning = async (id: ProcessId): Promise<boolean> => {
  if (!Number.isSafeInteger(id.pid) || id.pid <= 0) return false;
  const st = await readStat(id.pid);
  if (st === null) return id.procStart === null ? exists(id.pid) : false;
  if (st.state === 'Z' || st.state === 'X') return false;
  return id.procStart === null || st.start === id.procStart;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const waitGone = async (ids: readonly ProcessId[], ms: number): Promise<ProcessId[]> => {
  let left = [...ids];
  for (const deadline = Date.now() + ms; left.length > 0 && Date.now() < deadline;) {
    await sleep(20);
    const alive = await Promise.all(left.map(isRunning));
    left = left.filter((_, i) => alive[i]);
  }
  return left;
};

const signal = async (ids: readonly ProcessId[], sig: NodeJS.Signals): Promise<void> => {
  for (const id of ids) {
    // Re-check identity right before each signal: never hit a process that merely inherited the pid.
    if (await isRunning(id)) {
      try {
        process.kill(id.pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  }
};

/**
 * Terminate recorded processes that are still the same processes: SIGTERM, then SIGKILL after `graceMs`.
 * Processes without a recorded start time are skipped (their pid alone proves nothing). Returns the pids hit.
 */
export const killRecorded = async (ids: readonly ProcessId[], graceMs = 2000): Promise<number[]> => {
  const targets: ProcessId[] = [];
  for (const id of ids) {
    if (id.procStart !== null && id.pid > 1 && id.pid !== process.pid && (await isRunning(id))) targets.push(id);
  }
  if (targets.length === 0) return [];
  // Pids are recorded in pipeline order: the last is the receiver. Stopping it first lets the writers end on
  // their broken pipe and run their clean-up (a signalled `zfs send` leaks its temporary holds on zfs-fuse).
  await signal(targets.slice(-1), 'SIGTERM');
  const writers = targets.length > 1 ? await waitGone(targets.slice(0, -1), Math.min(graceMs, 2000)) : [];
  await signal(writers, 'SIGTERM');
  const stubborn = await waitGone(targets, graceMs);
  if (stubborn.length > 0) {
    await signal(stubborn, 'SIGKILL');
    await waitGone(stubborn, 1000);
  }
  return targets.map((t) => t.pid);
};
