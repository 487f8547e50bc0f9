// The write-ahead record of what a run sends to a target (sync/job-state.ts): written atomically before a
// transfer, read back by cleanup, cleared by a run that reads the target back, kept while unread.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureStateDir } from '../../../src/state/dir.js';
import { readJobState, recordRun, writeJobState } from '../../../src/state/job-state.js';
import { recordInFlight, recordJobState, recordedTargets } from '../../../src/sync/job-state.js';
import type { JobSpec } from '../../../src/sync/job.js';
import type { JobReport, TargetReport } from '../../../src/sync/report.js';
import { tempDir } from '../state/helpers.js';

const tmp = tempDir('zfo-writeahead-');
beforeAll(() => ensureStateDir(tmp.dir));
afterAll(tmp.cleanup);
const log = pino({ level: 'silent' });

const S1 = { name: 'zfailover-sync_data_20261126T042900.123Z', guid: '1111' };
const S2 = { name: 'zfailover-sync_data_20261126T043000.000Z', guid: '18446744073709551615' };
// Only what recordJobState reads of a job: its id and each target's id and dataset.
const job = { id: 'data', targets: [{ id: 'standby', side: { host: 'local', dataset: 'vol2/my data' } }] } as unknown as JobSpec;
const common = { ...S1, creation: 1_764_130_000, createtxg: 10 };

const seed = async (): Promise<void> => {
  const standby = { side: 'vol2/my data', state: 'OK' as const, summary: 'OK', bytes: 0, common, datasets: { '': common } };
  const s = recordRun(null, { job: 'data', startedAt: 1000, finishedAt: 2000, state: 'OK', summary: '', bytes: 0, snapshots: 1, targets: { standby } }, 2001);
  await writeJobState(tmp.dir, s);
};

const report = (target: Partial<TargetReport>): JobReport =>
  ({
    job: 'data',
    source: 'vol1/my data',
    dryRun: false,
    startedAt: 3000,
    finishedAt: 4000,
    state: 'OK',
    snapshot: null,
    destroyed: [],
    notes: [],
    targets: [{ id: 'standby', side: 'vol2/my data', state: 'OK', datasets: [], orphans: [], destroyed: [], ...target }],
  }) as JobReport;

describe('write-ahead record', () => {
  test('nothing is written before the first recorded run (no common known: cleanup keeps every source snapshot)', async () => {
    await recordInFlight(tmp.dir, 'data', 'standby', '', [S2]);
    expect(await readJobState(tmp.dir, 'data')).toBeNull();
  });

  test('recorded before the transfer (union, atomic: no temp file left), read back for cleanup', async () => {
    await seed();
    await recordInFlight(tmp.dir, 'data', 'standby', '', [S2]);
    await recordInFlight(tmp.dir, 'data', 'standby', '', [S2]);
    await recordInFlight(tmp.dir, 'data', 'standby', 'child a', [S1, S2]);
    const state = await readJobState(tmp.dir, 'data');
    expect(state?.targets.standby?.inFlight).toEqual({ '': [S2], 'child a': [S1, S2] });
    expect(state?.updatedAt).toBe(2001);
    expect(readdirSync(join(tmp.dir, 'jobs')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const recorded = (await recordedTargets(tmp.dir, 'data')).get('standby');
    expect(recorded?.commons.get('')).toBe(S1.guid);
    expect(recorded?.inFlight.get('')).toEqual([S2.guid]);
    // A target the file does not know yet gets no entry (its common point is unknown anyway).
    await recordInFlight(tmp.dir, 'data', 'other', '', [S2]);
    expect((await readJobState(tmp.dir, 'data'))?.targets.other).toBeUndefined();
  });

  test('a run that could not reach the target keeps the record; one that read it back clears it, except where unsure', async () => {
    await seed();
    await recordInFlight(tmp.dir, 'data', 'standby', '', [S2]);
    await recordInFlight(tmp.dir, 'data', 'standby', 'child a', [S2]);
    await recordJobState(tmp.dir, job, report({ state: 'WARNING', error: { kind: 'transient', message: 'vol2/my data: unreachable' } }), log);
    expect((await readJobState(tmp.dir, 'data'))?.targets.standby?.inFlight).toEqual({ '': [S2], 'child a': [S2] });
    await recordJobState(tmp.dir, job, report({}), log, new Map([['standby', new Set(['child a'])]]));
    expect((await readJobState(tmp.dir, 'data'))?.targets.standby?.inFlight).toEqual({ 'child a': [S2] });
    await recordJobState(tmp.dir, job, report({}), log);
    expect((await readJobState(tmp.dir, 'data'))?.targets.standby).not.toHaveProperty('inFlight');
  });
});
