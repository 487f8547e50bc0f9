// Child processes of the harness: the guest script (stderr straight into the log, killable as a group,
// optionally left running in the background) and short commands; plus the log tail used in skip reasons.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCRIPT = fileURLToPath(new URL('./openzfs-vm.sh', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly timedOut: boolean;
  /** Still running after `returnAfterS` (it finishes on its own, writing to the log). */
  readonly detached: boolean;
}

/**
 * Run the script with its stderr going straight to the log file (so it survives this process exiting). On timeout
 * its whole process group, our own child, is killed. With `returnAfterS` the promise resolves early while the
 * script keeps running in its own session: vitest gives global teardown only a few seconds before it exits.
 */
export const runScript = (
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutS: number,
  opts: { captureStdout?: boolean; returnAfterS?: number } = {},
): Promise<Run> =>
  new Promise((resolve) => {
    const fd = openSync(logFile, 'a');
    const capture = opts.captureStdout ?? true;
    const child = spawn(SCRIPT, args, { env, stdio: ['ignore', capture ? 'pipe' : fd, fd], detached: true });
    closeSync(fd);
    let stdout = '';
    let timedOut = false;
    let settled = false;
    const settle = (r: Run) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
      appendFileSync(logFile, b);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }, timeoutS * 1000);
    if (opts.returnAfterS !== undefined) {
      setTimeout(() => {
        clearTimeout(timer);
        child.unref();
        settle({ code: null, stdout, timedOut: false, detached: true });
      }, opts.returnAfterS * 1000).unref();
    }
    child.on('error', (e) => {
      appendFileSync(logFile, `spawn failed: ${e.message}\n`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      settle({ code, stdout, timedOut, detached: false });
    });
  });

export const run = (file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
    });
  });

/** The last few meaningful lines of the log, one line, for a skip title. */
export const logTail = (logFile: string, lines = 3, max = 400): string => {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const tail = text
    .split('\n')
    .map((l) => l.replace(/^\[zfslab [0-9:]+\] /, '').trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
  return tail.length > max ? `…${tail.slice(-max)}` : tail;
};
