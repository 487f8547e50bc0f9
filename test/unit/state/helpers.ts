// Helpers for the state tests: temp state directories and TypeScript child processes (real processes, no mocks).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const tempDir = (prefix: string): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Run fixtures/<script>.ts with node, stdin piped (so the child can be told to finish). */
export const spawnFixture = (script: string, args: readonly string[]): ChildProcess =>
  spawn(process.execPath, ['--import', join(FIXTURES, 'ts-register.mjs'), join(FIXTURES, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });

/** The first stdout line of a child, parsed as JSON. */
export const firstLine = <T>(child: ChildProcess): Promise<T> =>
  new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', (line) => {
      rl.close();
      try {
        resolve(JSON.parse(line) as T);
      } catch (e) {
        reject(e);
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before writing a line`)));
  });

export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

/** True while `pid` exists and is not a zombie. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};
