// Publishing the textfile: atomic and per job, counters that survive processes, and never a failed run: an
// unwritable, world-writable or missing directory, a planted symlink or damaged counters are one warning each.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricFamily } from '../../../src/core/metrics/exposition.js';
import { runFamilies, type RunCounters } from '../../../src/core/metrics/run.js';
import { ensureStateDir } from '../../../src/state/dir.js';
import { countersPath, publishRunMetrics, textfilePath, writeTextfile } from '../../../src/state/metrics.js';
import { tempDir } from '../state/helpers.js';
import { recordingLogger } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const setup = async () => {
  const t = tempDir('zfo-metrics-');
  cleanups.push(t.cleanup);
  const stateDir = join(t.dir, 'state');
  const textDir = join(t.dir, 'textfile');
  await ensureStateDir(stateDir);
  mkdirSync(textDir, { mode: 0o755 });
  return { stateDir, textDir, root: t.dir };
};

const families =
  (job: string) =>
  (counters: RunCounters): MetricFamily[] =>
    runFamilies({ command: 'snapshot', job, startedAt: 1000, finishedAt: 3000, state: 'OK', lastSuccessAt: 3000, consecutiveFailures: 0, counters });

describe('publishRunMetrics', () => {
  it('writes one 0644 file per command and job, and counts runs across processes', async () => {
    const { stateDir, textDir } = await setup();
    const { log, warnings } = recordingLogger();
    const p = { textfileDir: textDir, stateDir, command: 'sync' as const, log };
    await publishRunMetrics({ ...p, job: 'a', state: 'OK', finishedAt: 5000, bytes: { t1: 100 }, families: families('a') });
    await publishRunMetrics({ ...p, job: 'a', state: 'CRITICAL', finishedAt: 6000, bytes: { t1: 50 }, families: families('a') });
    await publishRunMetrics({ ...p, job: 'b', state: 'OK', finishedAt: 5000, families: families('b') });
    expect(warnings).toEqual([]);
    expect(readdirSync(textDir).sort()).toEqual(['zfailover-sync-a.prom', 'zfailover-sync-b.prom']);
    expect(statSync(textfilePath(textDir, 'sync', 'a')).mode & 0o777).toBe(0o644);
    const a = readFileSync(textfilePath(textDir, 'sync', 'a'), 'utf8');
    expect(a).toContain('zfailover_runs_total{command="snapshot",zfailover_job="a"} 2');
    expect(a).toContain('zfailover_run_failures_total{command="snapshot",zfailover_job="a"} 1');
    expect(JSON.parse(readFileSync(countersPath(stateDir, 'sync', 'a'), 'utf8'))).toEqual({
      version: 1,
      runs: 2,
      failures: 1,
      consecutiveFailures: 1,
      lastSuccessAt: 5000,
      bytes: { t1: 150 },
    });
  });

  it('off by default: nothing read or written without textfile_dir', async () => {
    const { stateDir } = await setup();
    const { log } = recordingLogger();
    await publishRunMetrics({ textfileDir: undefined, stateDir, command: 'sync', job: 'a', state: 'OK', finishedAt: 1, families: families('a'), log });
    expect(readdirSync(join(stateDir, 'metrics'))).toEqual([]);
  });

  it('a missing, non-directory or world-writable directory is one warning, the previous file stays', async () => {
    const { stateDir, textDir, root } = await setup();
    const { log, warnings } = recordingLogger();
    const go = (dir: string) =>
      publishRunMetrics({ textfileDir: dir, stateDir, command: 'prune', job: 'a', state: 'OK', finishedAt: 1, families: families('a'), log });
    await go(join(root, 'nope'));
    writeFileSync(join(root, 'file'), 'x');
    await go(join(root, 'file'));
    await go(textDir);
    const before = readFileSync(textfilePath(textDir, 'prune', 'a'), 'utf8');
    chmodSync(textDir, 0o777);
    await go(textDir);
    expect(warnings.map((w) => w.msg)).toEqual(Array(3).fill('cannot write the metrics textfile; the run itself is not affected'));
    expect(JSON.stringify(warnings[2]!.obj)).toContain('writable by others');
    expect(readFileSync(textfilePath(textDir, 'prune', 'a'), 'utf8')).toBe(before);
    expect(readdirSync(textDir)).toEqual(['zfailover-prune-a.prom']);
  });

  it('replaces a planted symlink instead of writing through it', async () => {
    const { stateDir, textDir, root } = await setup();
    const victim = join(root, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, textfilePath(textDir, 'sync', 'a'));
    await writeTextfile(textDir, 'sync', 'a', 'm 1\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(textfilePath(textDir, 'sync', 'a'), 'utf8')).toBe('m 1\n');
    void stateDir;
  });

  it('a name that is not a job id (a snapshots: entry) is percent-encoded into one file in the directory', async () => {
    const { stateDir, textDir } = await setup();
    const { log, warnings } = recordingLogger();
    for (const job of ['tank/my data', '..', '../../etc/x']) {
      await publishRunMetrics({ textfileDir: textDir, stateDir, command: 'prune', job, state: 'OK', finishedAt: 1, families: families(job), log });
    }
    expect(warnings).toEqual([]);
    expect(readdirSync(textDir).sort()).toEqual([
      'zfailover-prune-%2E%2E%2F%2E%2E%2Fetc%2Fx.prom',
      'zfailover-prune-%2E%2E.prom',
      'zfailover-prune-tank%2Fmy%20data.prom',
    ]);
    expect(readFileSync(textfilePath(textDir, 'prune', 'tank/my data'), 'utf8')).toContain('zfailover_job="tank/my data"');
  });

  it('damaged counters restart from zero with a warning', async () => {
    const { stateDir, textDir } = await setup();
    const { log, warnings } = recordingLogger();
    for (const bad of ['{', '{"version":1,"runs":-1,"failures":0,"bytes":{}}', '{"version":1,"runs":1,"failures":0,"bytes":{"../x":1}}', '[]']) {
      writeFileSync(countersPath(stateDir, 'sync', 'a'), bad);
      await publishRunMetrics({ textfileDir: textDir, stateDir, command: 'sync', job: 'a', state: 'OK', finishedAt: 1, families: families('a'), log });
      expect(readFileSync(textfilePath(textDir, 'sync', 'a'), 'utf8')).toContain('zfailover_runs_total{command="snapshot",zfailover_job="a"} 1');
    }
    expect(warnings).toHaveLength(4);
    expect(existsSync(countersPath(stateDir, 'sync', 'a'))).toBe(true);
  });
});
