// check rpo evaluation: states, texts, perfdata and the source-down lower bound, without zfs.
import { describe, expect, it } from 'vitest';
import { HostUnreachableError } from '../../../src/errors.js';
import { evaluateRpo } from '../../../src/checks/rpo.js';
import { toResult } from '../../../src/plugin/check.js';
import { durationAtom, parseRange } from '../../../src/plugin/range.js';
import { vl } from '../core/fixtures.js';
import { ds, job, probe } from './builders.js';

const T = 1_700_000_000; // vl(): creation = T + txg
const th = { warning: parseRange('30s', durationAtom), critical: parseRange('2m', durationAtom) };
const run = (p: Parameters<typeof evaluateRpo>[0], now: number) => toResult(evaluateRpo(p, { thresholds: th, now }));

describe('evaluateRpo', () => {
  const j = job('tank/d', ['bk/d']);
  it('is OK within thresholds, with rpo, behind and pending as perfdata', () => {
    const src = [ds('tank/d', vl('tank/d', '@a:1', '@b:2'), { written: 100 })];
    const r = run([probe(j, src, [[ds('bk/d', vl('bk/d', '@a:1'))]], [4096])], T + 21);
    expect(r).toMatchObject({
      state: 'OK',
      summary: 'job j1: bk/d: rpo 20s, 1 snapshot behind, 4.0KiB pending',
      perfdata: 'rpo=20s;30;120;0 behind=1;;;0 pending=4096B;;;0',
    });
  });
  it('is WARNING beyond -w and CRITICAL beyond -c, naming the violated threshold', () => {
    const src = [ds('tank/d', vl('tank/d', '@a:1'), { written: 5 })];
    const tgt = [[ds('bk/d', vl('bk/d', '@a:1'))]];
    expect(run([probe(j, src, tgt)], T + 61)).toMatchObject({ state: 'WARNING', summary: 'job j1: bk/d: rpo 60s (> 30s)' });
    expect(run([probe(j, src, tgt)], T + 3601)).toMatchObject({ state: 'CRITICAL', summary: 'job j1: bk/d: rpo 1h00m (> 2m00s)' });
  });
  it('is 0 and OK for an idle source the replica fully has, however old its snapshot', () => {
    const src = [ds('tank/d', vl('tank/d', '@a:1'), { written: 0 })];
    const r = run([probe(j, src, [[ds('bk/d', vl('bk/d', '@a:1'))]])], T + 86400);
    expect(r).toMatchObject({ state: 'OK', perfdata: 'rpo=0s;30;120;0 behind=0;;;0 pending=0B;;;0' });
  });
  it('is CRITICAL without a common GUID even when names match', () => {
    const src = [ds('tank/d', vl('tank/d', '@a:1'))];
    const r = run([probe(j, src, [[ds('bk/d', vl('bk/d', '@a:1=other'))]])], T + 2);
    expect(r).toMatchObject({ state: 'CRITICAL', summary: 'job j1: bk/d: no common snapshot with the source (by GUID)' });
  });
  it('is CRITICAL when the target dataset is missing', () => {
    const r = run([probe(j, [ds('tank/d', vl('tank/d', '@a:1'))], [[]])], T + 2);
    expect(r).toMatchObject({ state: 'CRITICAL', summary: 'job j1: bk/d: not replicated (target dataset missing)' });
  });
  it('with the source unreachable: UNKNOWN while the replica bound is within thresholds, CRITICAL once it is not', () => {
    const down = new HostUnreachableError('src.example', 'Connection refused');
    const tgt = [[ds('bk/d', vl('bk/d', '@a:1'))]];
    expect(run([probe(j, down, tgt)], T + 11)).toMatchObject({
      state: 'UNKNOWN',
      summary: expect.stringContaining('unreadable: src.example unreachable: Connection refused'),
    });
    expect(run([probe(j, down, tgt)], T + 601)).toMatchObject({ state: 'CRITICAL', summary: expect.stringMatching(/rpo at least 10m00s/) });
  });
  it('fan-out: one unreachable target is UNKNOWN, the worst state of the others still wins', () => {
    const j2 = job('tank/d', ['bk/d', 'far:bk/d', 'bk2/d']);
    const src = [ds('tank/d', vl('tank/d', '@a:1', '@b:200'), { written: 1 })];
    const r = run(
      [probe(j2, src, [[ds('bk/d', vl('bk/d', '@a:1', '@b:200'))], new HostUnreachableError('far', 'timeout'), [ds('bk2/d', vl('bk2/d', '@a:1'))]])],
      T + 210,
    );
    expect(r.state).toBe('CRITICAL');
    expect(r.summary).toBe('job j1: 1 of 3 datasets CRITICAL: bk2/d: rpo 3m29s (> 2m00s), 1 snapshot behind; 1 UNKNOWN');
    expect(r.details?.filter((l) => !l.startsWith(' '))).toEqual([
      'CRITICAL: bk2/d: rpo 3m29s (> 2m00s), 1 snapshot behind',
      'UNKNOWN: far:bk/d: cannot list target: far unreachable: timeout',
      'OK: bk/d: rpo 10s',
    ]);
  });
  it('recursive: every dataset of the tree is one finding; worst rpo is the perfdata', () => {
    const jr = job('tank/d', ['bk/d'], { recursive: true });
    const src = [ds('tank/d', vl('tank/d', '@a:1'), { written: 1 }), ds('tank/d/c', vl('tank/d/c', '@x:5'), { written: 1 })];
    const tgt = [[ds('bk/d', vl('bk/d', '@a:1')), ds('bk/d/c', vl('bk/d/c', '@x:5'))]];
    const r = run([probe(jr, src, tgt)], T + 20);
    expect(r).toMatchObject({ state: 'OK', summary: 'job j1: 2 datasets replicated, worst rpo 19s', perfdata: 'rpo=19s;30;120;0 behind=0;;;0 pending=0B;;;0' });
  });
});
