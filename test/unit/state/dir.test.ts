// The state directory: layout, modes, idempotence, and one clear error when it cannot be made.
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ensureStateDir, jobStatePath, lockPath, STATE_SUBDIRS } from '../../../src/state/dir.js';
import { StateDirError } from '../../../src/state/errors.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('zfo-statedir-');
afterAll(tmp.cleanup);

describe('ensureStateDir', () => {
  test('creates the directory and every subdirectory with mode 0700, and can run again', async () => {
    const dir = join(tmp.dir, 'a', 'b', 'state');
    await ensureStateDir(dir);
    await ensureStateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const sub of STATE_SUBDIRS) expect(statSync(join(dir, sub)).mode & 0o777).toBe(0o700);
    expect(STATE_SUBDIRS).toEqual(['jobs', 'locks', 'cache', 'ssh', 'alerts', 'promote', 'prune', 'metrics']);
  });

  test('tightens an existing ssh/ back to 0700 but leaves a jobs/ the operator opened to a group', async () => {
    const dir = join(tmp.dir, 'opened');
    await ensureStateDir(dir);
    chmodSync(join(dir, 'ssh'), 0o755);
    chmodSync(join(dir, 'jobs'), 0o750);
    await ensureStateDir(dir);
    expect(statSync(join(dir, 'ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'jobs')).mode & 0o777).toBe(0o750);
  });

  test('a file in the way gives one line naming the directory', async () => {
    const dir = join(tmp.dir, 'blocked');
    mkdirSync(dir);
    writeFileSync(join(dir, 'locks'), 'not a dir');
    await expect(ensureStateDir(dir)).rejects.toThrow(new StateDirError(dir, 'locks exists and is not a directory'));
    const file = join(tmp.dir, 'plainfile');
    writeFileSync(file, '');
    const err = await ensureStateDir(join(file, 'state')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateDirError);
    expect((err as StateDirError).kind).toBe('permanent');
    expect((err as Error).message).toBe(`state directory ${join(file, 'state')}: cannot create: a parent is not a directory`);
    await expect(ensureStateDir(file)).rejects.toThrow(`state directory ${file}: exists and is not a directory`);
  });

  test('paths of job files; an invalid job id is a bug, not a path', () => {
    expect(jobStatePath('/var/lib/zfailover', 'data')).toBe('/var/lib/zfailover/jobs/data.json');
    expect(lockPath('/var/lib/zfailover', 'adhoc-0123abcd')).toBe('/var/lib/zfailover/locks/adhoc-0123abcd.lock');
    expect(() => jobStatePath('/s', '../etc/passwd')).toThrow(/invalid job id/);
  });
});
