// check job evaluation: state file + lock + protection -> findings, without zfs.
import { describe, expect, it } from 'vitest';
import { evaluateJobs, type JobData } from '../../../src/checks/job.js';
import { protectionOf } from '../../../src/checks/protection.js';
import { toResult } from '../../../src/plugin/check.js';
import { durationAtom, parseRange } from '../../../src/plugin/range.js';
import { recordRun, type JobState } from '../../../src/state/job-state.js';
import { StateFileCorruptError } from '../../../src/state/errors.js';
import { vl } from '../core/fixtures.js';
import { ds, job } from './builders.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const opts = {
  thresholds: { warning: parseRange('2m', durationAtom), critical: parseRange('10m', durationAtom) },
  failuresWarning: 3,
  failuresCritical: 20,
  maxRuntime: 900,
  now: NOW,
};
const j = job('tank/d', ['bk/d', 'far:bk/d']);
const run = (state: JobState | null | Error, extra: Partial<JobData> = {}) =>
  toResult(evaluateJobs([{ job: j, statePath: '/var/lib/zfailover/jobs/j1.json', state, lock: null, protection: new Map(), ...extra }], opts));

/** A state after runs ending at the given times (ms before NOW) with their states per target. */
const history = (...runs: [number, 'OK' | 'WARNING' | 'CRITICAL', 'OK' | 'WARNING' | 'CRITICAL', string?][]): JobState => {
  let s: JobState | null = null;
  for (const [ago, s1, s2, conflict] of runs) {
    const at = NOW - ago;
    const state = s1 === 'OK' && s2 === 'OK' ? 'OK' : s1 === 'CRITICAL' || s2 === 'CRITICAL' ? 'CRITICAL' : 'WARNING';
    s = recordRun(
      s,
      {
        job: 'j1',
        startedAt: at - 2000,
        finishedAt: at,
        state,
        summary: `run ${state}`,
        bytes: 0,
        snapshots: 1,
        ...(state !== 'OK' ? { error: { kind: 'transient', message: 'far unreachable: Connection refused' } } : {}),
        targets: {
          t1: { side: 'bk/d', state: s1, summary: s1, bytes: 0, common: { name: 'zfailover-sync_j1_x', guid: '1', creation: at / 1000 - 3, createtxg: 5 } },
          t2: { side: 'far:bk/d', state: s2, summary: s2, bytes: 0, ...(conflict ? { conflict } : {}) },
        },
      },
      at,
    );
  }
  return s as JobState;
};

describe('evaluateJobs', () => {
  it('OK after a recent success of every target', () => {
    const r = run(history([20_000, 'OK', 'OK']));
    expect(r).toMatchObject({
      state: 'OK',
      summary: 'job j1: 2 targets replicated, last success 20s ago',
      perfdata: 'last_success=20s;120;600;0 failures=0;;;0',
    });
  });
  it('WARNING when a target has not succeeded for longer than -w, naming it; failures counted', () => {
    const r = run(history([400_000, 'OK', 'OK'], [60_000, 'OK', 'WARNING'], [30_000, 'OK', 'WARNING']));
    expect(r.state).toBe('WARNING');
    expect(r.summary).toBe('1 of 3 checks WARNING: job j1 -> far:bk/d: last success 6m40s ago (> 2m00s)');
    expect(r.perfdata).toBe('last_success=400s;120;600;0 failures=2;;;0');
  });
  it('CRITICAL for a target that never succeeded and for a named conflict', () => {
    const r = run(history([10_000, 'OK', 'CRITICAL', 'diverged']));
    expect(r.state).toBe('CRITICAL');
    expect(r.summary).toContain('job j1 -> far:bk/d: never replicated successfully, conflict diverged');
  });
  it('failures in a row: WARNING from 3, CRITICAL from 20, with the last error', () => {
    const runs = Array.from({ length: 3 }, (_, i) => [30_000 - i * 1000, 'OK', 'WARNING'] as [number, 'OK', 'WARNING']);
    const r = run(history([60_000, 'OK', 'OK'], ...runs));
    expect(r.details?.[0]).toBe('WARNING: job j1: 3 failed runs in a row: far unreachable: Connection refused');
  });
  it('UNKNOWN without a state file (never OK on missing data), and for a damaged one', () => {
    expect(run(null)).toMatchObject({ state: 'UNKNOWN', summary: 'job j1: no run recorded yet (/var/lib/zfailover/jobs/j1.json)' });
    const bad = new StateFileCorruptError('/x/jobs/j1.json', 'not valid JSON', { hint: 'rm /x/jobs/j1.json' });
    expect(run(bad)).toMatchObject({ state: 'UNKNOWN', summary: 'job j1: state file /x/jobs/j1.json is unusable: not valid JSON' });
  });
  it('WARNING for a run holding the lock too long; a stale lock is only noted', () => {
    const holder = { version: 1, job: 'j1', pid: 4242, procStart: 1, bootId: 'b', startedAt: NOW - 3_600_000, host: 'h', pids: [], token: 't' } as const;
    const r = run(history([10_000, 'OK', 'OK']), { lock: { holder, alive: true } });
    expect(r.details?.[0]).toBe('WARNING: job j1: run of pid 4242 holds the lock for 1h00m (> 15m00s)');
    const stale = run(history([10_000, 'OK', 'OK']), { lock: { holder, alive: false } });
    expect(stale.state).toBe('OK');
    expect(stale.details).toContain('  stale lock of a dead run: the next run recovers it');
  });
  it('WARNING when the common snapshot is a foreign one without hold or bookmark', () => {
    const src = ds('tank/d', vl('tank/d', '@zfs-auto-snap_hourly-2026-11-26-1100:1'));
    const unprotected = protectionOf({ job: 'j1', installation: 'host-1a2b3c' }, [
      { source: src, target: ds('bk/d', vl('bk/d', '@zfs-auto-snap_hourly-2026-11-26-1100:1')) },
    ]);
    const r = run(history([10_000, 'OK', 'OK']), { protection: new Map([['t1', unprotected]]) });
    expect(r.state).toBe('WARNING');
    expect(r.summary).toMatch(
      /^1 of 3 checks WARNING: job j1 -> bk\/d: common snapshot not protected on the source \(no hold\/bookmark\): tank\/d@zfs-auto-snap_hourly-2026-11-26-1100, common snapshot not held on the target/,
    );
    expect(r.details).toContain('  last success 10s ago');
    const held = protectionOf({ job: 'j1', installation: 'host-1a2b3c' }, [
      { source: ds('tank/d', [{ ...vl('tank/d', '@x:1')[0]!, userrefs: 1 }]), target: ds('bk/d', [{ ...vl('bk/d', '@x:1')[0]!, userrefs: 1 }]) },
    ]);
    expect(held.risks).toEqual([]);
    const own = protectionOf({ job: 'j1', installation: 'host-1a2b3c' }, [
      {
        source: ds('tank/d', vl('tank/d', '@zfailover-sync_j1_20261126T110000.000Z:1')),
        target: ds('bk/d', vl('bk/d', '@zfailover-sync_j1_20261126T110000.000Z:1')),
      },
    ]);
    expect([own.risks, own.checked]).toEqual([[], 1]);
    // Same job name, another installation (a second standby pulling the same source): its owner destroys it.
    const theirs = '@zfailover-sync_j1_host-9z8y7x_20261126T110000.000Z:1';
    const other = protectionOf({ job: 'j1', installation: 'host-1a2b3c' }, [
      { source: ds('tank/d', vl('tank/d', theirs)), target: ds('bk/d', vl('bk/d', theirs)) },
    ]);
    expect(other.risks).toHaveLength(2);
    const mine = protectionOf({ job: 'j1', installation: 'host-9z8y7x' }, [
      { source: ds('tank/d', vl('tank/d', theirs)), target: ds('bk/d', vl('bk/d', theirs)) },
    ]);
    expect(mine.risks).toEqual([]);
  });
  it('WARNING when prune reports a pile-up over its ceiling; pileup perfdata against the ceiling', () => {
    const prune = {
      version: 1 as const,
      name: 'j1',
      at: NOW - 60_000,
      datasets: [
        { side: 'source', name: 'tank/d', snapshots: 700, count: 612, kept: 500, ceiling: 500 },
        { side: 'j1/t1', name: 'bk/d', snapshots: 20, count: 0, kept: 0, ceiling: 500 },
      ],
    };
    const r = run(history([10_000, 'OK', 'OK']), { prune });
    expect(r.state).toBe('WARNING');
    expect(r.summary).toBe('1 of 3 checks WARNING: job j1: 612 snapshots piled up for lagging targets on tank/d (ceiling 500; the oldest go)');
    expect(r.perfdata).toBe('last_success=10s;120;600;0 failures=0;;;0 pileup=612;500;;0');
  });
});

describe('evaluateJobs: counts that match the situation (issue 19)', () => {
  it('a target that failed its last run (within the thresholds) is not counted as replicated, and is named', () => {
    const r = run(history([60_000, 'OK', 'OK'], [20_000, 'OK', 'WARNING']));
    expect(r.state).toBe('OK');
    expect(r.summary).toBe('job j1: 1 of 2 targets replicated, last success 60s ago; 1 failing its last run: far:bk/d: WARNING');
    expect(r.details?.join('\n')).toMatch(/far:bk\/d: last success 60s ago, last run WARNING: WARNING/);
  });
});
