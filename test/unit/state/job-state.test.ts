// Job state: recordRun (pure) keeps the last success and counts failures; the file round-trips and a
// damaged or newer file is refused with a typed error.
import { writeFileSync } from 'node:fs';
import { fc, test as propTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ServiceState } from '../../../src/outcome.js';
import { ensureStateDir, jobStatePath } from '../../../src/state/dir.js';
import { StateFileCorruptError } from '../../../src/state/errors.js';
import { parseJobState, readJobState, recordRun, writeJobState, type JobState, type RunRecord } from '../../../src/state/job-state.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('zfo-jobstate-');
beforeAll(() => ensureStateDir(tmp.dir));
afterAll(tmp.cleanup);

const STATES: ServiceState[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
const common = fc.record({
  name: fc.constant('zfailover-sync_data_20261126T042900.123Z'),
  guid: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  creation: fc.integer({ min: 0, max: 2e9 }),
  createtxg: fc.nat(),
});
const targetRun = fc.record({
  side: fc.constantFrom('vol2/data', 'backup:vol3/data'),
  state: fc.constantFrom(...STATES),
  summary: fc.string({ maxLength: 20 }),
  common: fc.option(fc.option(common, { nil: null }), { nil: undefined }),
  bytes: fc.nat(),
  resumable: fc.option(fc.boolean(), { nil: undefined }),
  conflict: fc.option(fc.constantFrom('diverged', 'target-modified'), { nil: null }),
});
/** Runs at increasing times, each with zero or more of two targets. */
const runs = fc
  .array(
    fc.record({
      state: fc.constantFrom(...STATES),
      duration: fc.integer({ min: 0, max: 100_000 }),
      gap: fc.integer({ min: 1, max: 100_000 }),
      bytes: fc.nat(),
      snapshots: fc.nat({ max: 50 }),
      targets: fc.dictionary(fc.constantFrom('standby', 't2'), targetRun, { maxKeys: 2 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rs) => {
    let t = 1_764_000_000_000;
    return rs.map((r): RunRecord => {
      const startedAt = (t += r.gap);
      const finishedAt = (t += r.duration);
      return { job: 'data', startedAt, finishedAt, state: r.state, summary: `run ${startedAt}`, bytes: r.bytes, snapshots: r.snapshots, targets: r.targets };
    });
  });

const fold = (rs: readonly RunRecord[]): JobState[] => {
  const out: JobState[] = [];
  let s: JobState | null = null;
  for (const r of rs) out.push((s = recordRun(s, r, r.finishedAt + 1)));
  return out;
};

describe('recordRun', () => {
  propTest.prop([runs])('counts trailing failures, keeps the last success, always yields a valid state', async (rs) => {
    const states = fold(rs);
    const final = states.at(-1) as JobState;
    const lastOk = [...rs].reverse().find((r) => r.state === 'OK');
    const trailing = rs.length - 1 - rs.map((r) => r.state).lastIndexOf('OK');
    expect(final.consecutiveFailures).toBe(lastOk ? trailing : rs.length);
    expect(final.lastSuccess).toEqual(
      lastOk
        ? {
            at: lastOk.finishedAt,
            startedAt: lastOk.startedAt,
            durationMs: lastOk.finishedAt - lastOk.startedAt,
            bytes: lastOk.bytes,
            snapshots: lastOk.snapshots,
          }
        : null,
    );
    expect(final.lastRun).toMatchObject({ startedAt: rs.at(-1)?.startedAt, state: rs.at(-1)?.state });
    const lastFail = [...rs].reverse().find((r) => r.state !== 'OK');
    expect(final.lastError?.at ?? null).toBe(lastFail?.finishedAt ?? null);
    for (const s of states) expect(await parseJobState(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  propTest.prop([runs])('per target: last success time, and facts a run did not learn are kept', (rs) => {
    const final = fold(rs).at(-1) as JobState;
    for (const id of ['standby', 't2']) {
      const touched = rs.filter((r) => r.targets[id]);
      if (touched.length === 0) {
        expect(final.targets[id]).toBeUndefined();
        continue;
      }
      const okRun = [...touched].reverse().find((r) => r.targets[id]?.state === 'OK');
      expect(final.targets[id]?.lastSuccessAt).toBe(okRun?.finishedAt ?? null);
      const knew = [...touched].reverse().find((r) => r.targets[id]?.common !== undefined);
      expect(final.targets[id]?.common).toEqual(knew?.targets[id]?.common ?? null);
      // A resumable partial receive keeps the time it was first seen.
      let since: number | null = null;
      for (const r of touched) {
        const res = r.targets[id]?.resumable;
        if (res === false) since = null;
        else if (res === true && since === null) since = r.finishedAt;
      }
      expect(final.targets[id]?.resume?.since ?? null).toBe(since);
    }
  });

  test('the write-ahead record (inFlight): set by a run, kept by a run that did not learn it, cleared by an empty one', () => {
    const base = { job: 'data', startedAt: 1000, finishedAt: 2000, state: 'OK' as const, summary: '', bytes: 0, snapshots: 0 };
    const t = { side: 'vol2/data', state: 'OK' as const, summary: 'ok', bytes: 0 };
    const s2 = { name: 'zfailover-sync_data_20261126T042900.123Z', guid: '18446744073709551615' };
    const set = recordRun(null, { ...base, targets: { standby: { ...t, inFlight: { '': [s2], empty: [] } } } }, 2001);
    expect(set.targets.standby?.inFlight).toEqual({ '': [s2] });
    const kept = recordRun(set, { ...base, targets: { standby: { ...t, state: 'WARNING' } } }, 2002);
    expect(kept.targets.standby?.inFlight).toEqual({ '': [s2] });
    const cleared = recordRun(kept, { ...base, targets: { standby: { ...t, inFlight: {} } } }, 2003);
    expect(cleared.targets.standby).not.toHaveProperty('inFlight');
  });

  test('a failure records its error kind; a conflict names itself', () => {
    const base = { job: 'data', startedAt: 1000, finishedAt: 2000, bytes: 0, snapshots: 0, targets: {} };
    const warn = recordRun(
      null,
      { ...base, state: 'WARNING', summary: 'server1 unreachable', error: { kind: 'transient', message: 'server1 unreachable: timeout' } },
      2001,
    );
    expect(warn.lastError).toEqual({ at: 2000, kind: 'transient', message: 'server1 unreachable: timeout' });
    const conflict = recordRun(warn, { ...base, state: 'CRITICAL', summary: 'standby diverged', conflict: 'diverged' }, 2002);
    expect(conflict.lastError).toEqual({ at: 2000, kind: 'conflict', message: 'standby diverged' });
    expect(conflict.lastRun?.conflict).toBe('diverged');
    expect(conflict.consecutiveFailures).toBe(2);
    expect(() => recordRun(conflict, { ...base, job: 'other', state: 'OK', summary: '' }, 1)).toThrow(/job data updated with a run of job other/);
  });
});

describe('job state file', () => {
  const sample = recordRun(
    null,
    {
      job: 'data',
      startedAt: 1_764_130_000_000,
      finishedAt: 1_764_130_001_500,
      state: 'OK',
      summary: 'standby: 1 snapshot, 12.3MiB',
      bytes: 12_900_000,
      snapshots: 1,
      targets: {
        standby: {
          side: 'vol2/data',
          state: 'OK',
          summary: 'ok',
          bytes: 12_900_000,
          common: { name: 'zfailover-sync_data_20261126T042900.123Z', guid: '18446744073709551615', creation: 1_764_130_000, createtxg: 4242 },
        },
      },
    },
    1_764_130_001_600,
  );

  test('missing before the first run; written and read back exactly (a 64-bit GUID stays exact)', async () => {
    expect(await readJobState(tmp.dir, 'data')).toBeNull();
    await writeJobState(tmp.dir, sample);
    expect(await readJobState(tmp.dir, 'data')).toEqual(sample);
  });

  test('a file written before the write-ahead record existed (no inFlight) loads as it is; one with it round-trips', async () => {
    const old = JSON.parse(JSON.stringify(sample)) as Record<string, unknown>;
    expect(JSON.stringify(old)).not.toContain('inFlight');
    writeFileSync(jobStatePath(tmp.dir, 'data'), JSON.stringify(old));
    expect(await readJobState(tmp.dir, 'data')).toEqual(sample);
    const withRecord: JobState = {
      ...sample,
      targets: { standby: { ...sample.targets.standby!, inFlight: { '': [{ name: 'zfailover-sync_data_20261126T043000.000Z', guid: '42' }] } } },
    };
    await writeJobState(tmp.dir, withRecord);
    expect(await readJobState(tmp.dir, 'data')).toEqual(withRecord);
  });

  const corrupt: { name: string; content: string; message: string }[] = [
    { name: 'newer version', content: JSON.stringify({ ...sample, version: 2 }), message: 'state version 2 (this zfailover reads version 1)' },
    {
      name: 'wrong shape',
      content: JSON.stringify({ ...sample, consecutiveFailures: -1 }),
      message: 'consecutiveFailures: Too small: expected number to be >=0',
    },
    { name: 'another job', content: JSON.stringify({ ...sample, job: 'home' }), message: "belongs to job 'home', not 'data'" },
    {
      name: 'an in-flight GUID that is no number',
      content: JSON.stringify({ ...sample, targets: { standby: { ...sample.targets.standby, inFlight: { '': [{ name: 'x', guid: 'abc' }] } } } }),
      message: 'targets.standby.inFlight..0.guid: Invalid string: must match pattern /^\\d{1,20}$/',
    },
    { name: 'truncated', content: JSON.stringify(sample).slice(0, 40), message: 'not valid JSON' },
  ];
  test.each(corrupt)('refused: $name', async ({ content, message }) => {
    writeFileSync(jobStatePath(tmp.dir, 'data'), content);
    const err = await readJobState(tmp.dir, 'data').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFileCorruptError);
    expect((err as Error).message).toBe(`state file ${jobStatePath(tmp.dir, 'data')} is unusable: ${message}`);
  });

  test('an invalid state is never written', async () => {
    await expect(writeJobState(tmp.dir, { ...sample, updatedAt: -5 })).rejects.toThrow(/refusing to write an invalid state for job data/);
  });
});
