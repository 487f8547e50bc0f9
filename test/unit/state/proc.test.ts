// Process identity from /proc: field 22 survives odd command names; a zombie is not running.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isRunning, killRecorded, parseProcStat, procStartOf } from '../../../src/state/proc.js';
import { exited } from './helpers.js';

describe('proc', () => {
  test('parseProcStat splits after the last parenthesis (comm may hold spaces and parentheses)', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(parseProcStat(`42 (zfs) recv (x)) ${rest}`)).toEqual({ state: 'S', start: 987654 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  test('our own start time matches /proc', async () => {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    expect(await procStartOf(process.pid)).toBe(Number(fields[19]));
  });

  test('running, dead, and a different start time', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const id = { pid: child.pid as number, procStart: await procStartOf(child.pid as number) };
    expect(await isRunning(id)).toBe(true);
    expect(await isRunning({ ...id, procStart: (id.procStart as number) + 1 })).toBe(false);
    expect(await killRecorded([{ ...id, procStart: (id.procStart as number) + 1 }], 100)).toEqual([]);
    expect(await killRecorded([id], 100)).toEqual([id.pid]);
    await exited(child);
    expect(await isRunning(id)).toBe(false);
  });

  test('a process that ignores SIGTERM gets SIGKILL after the grace time', async () => {
    const child = spawn('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => child.stdout.once('data', r));
    const id = { pid: child.pid as number, procStart: await procStartOf(child.pid as number) };
    const t0 = Date.now();
    expect(await killRecorded([id], 300)).toEqual([id.pid]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
  });
});
