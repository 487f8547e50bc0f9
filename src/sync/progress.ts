// Progress of a running transfer for an operator at a terminal: bytes moved so far, read from the kernel's I/O
// counters of one local stage (/proc/<pid>/io), so the stream itself is never touched. Nothing is shown when
// stderr is not a terminal (Monit, cron, Nagios).
import { readFileSync } from 'node:fs';
import type { ProcessSpec } from '../zfs/types.js';

/**
 * Which stage to watch and which counter. A stage that moves the stream through its own read/write calls counts
 * it exactly: a local rate limiter or buffer (pv, mbuffer), else a local ssh client, else the local zfs process
 * (on OpenZFS the kernel does the I/O in its context and counts it; zfs-fuse's daemon does it instead, so there
 * only the first two give real numbers).
 */
export const progressProbe = (processes: readonly ProcessSpec[]): { index: number; counter: 'rchar' | 'wchar' } => {
  const middle = processes.findIndex((p) => p.file === 'pv' || p.file === 'mbuffer');
  if (middle >= 0) return { index: middle, counter: 'rchar' };
  const recv = processes.findIndex((p) => p.file === 'zfs' && p.args[0] === 'receive');
  const send = processes.findIndex((p) => p.file === 'zfs' && p.args[0] === 'send');
  // Pull: the source's ssh writes the stream to its stdout; push: the target's ssh reads it.
  if (send < 0 && processes[0]?.file === 'ssh') return { index: 0, counter: 'wchar' };
  if (recv < 0 && processes.at(-1)?.file === 'ssh') return { index: processes.length - 1, counter: 'rchar' };
  return recv >= 0 ? { index: recv, counter: 'rchar' } : { index: Math.max(0, send), counter: 'wchar' };
};

/** The counter from /proc/<pid>/io, or null when the process is gone or unreadable. */
export const readIoCounter = (pid: number, counter: 'rchar' | 'wchar'): number | null => {
  try {
    const m = new RegExp(`^${counter}: (\\d+)$`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
};

/** Polls once a second while the transfer runs; returns the stop function. */
export const watchProgress = (pid: number, counter: 'rchar' | 'wchar', report: (bytes: number, elapsedMs: number) => void): (() => void) => {
  const started = Date.now();
  const timer = setInterval(() => {
    const bytes = readIoCounter(pid, counter);
    if (bytes !== null) report(bytes, Date.now() - started);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
};
