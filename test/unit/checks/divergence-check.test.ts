// check divergence evaluation: one state per relation, each conflict with the command that resolves it.
import { describe, expect, it } from 'vitest';
import { evaluateDivergence } from '../../../src/checks/divergence.js';
import { toResult } from '../../../src/plugin/check.js';
import { parseRange } from '../../../src/plugin/range.js';
import { vl } from '../core/fixtures.js';
import { ds, job, probe } from './builders.js';

const T = 1_700_000_000;
const run = (p: Parameters<typeof evaluateDivergence>[0], thresholds = {}) => toResult(evaluateDivergence(p, { thresholds, now: T + 100 }));
const adhoc = job('tank/d', ['bk/d'], { adhoc: true, id: 'adhoc-1' });
const S = () => [ds('tank/d', vl('tank/d', '@a:1', '@b:2', '@c:3'), { role: 'primary', epoch: 1 })];

describe('evaluateDivergence', () => {
  it('OK in sync, with role/epoch of both sides in the long output', () => {
    const r = run([probe(adhoc, S(), [[ds('bk/d', vl('bk/d', '@a:1', '@b:2', '@c:3'), { role: 'replica', epoch: 1 })]])]);
    expect(r).toMatchObject({ state: 'OK', summary: 'bk/d: in sync at @c', perfdata: 'in_sync=1;;;0 behind=0;;;0 conflicts=0;;;0' });
    expect(r.details).toContain('  source role=primary epoch=1; target role=replica epoch=1');
  });
  it('OK behind, WARNING when -w on snapshots behind is exceeded', () => {
    const p = [probe(adhoc, S(), [[ds('bk/d', vl('bk/d', '@a:1'))]])];
    expect(run(p)).toMatchObject({ state: 'OK', summary: 'bk/d: behind by 2 snapshots (common @a)' });
    expect(run(p, { warning: parseRange('1') })).toMatchObject({ state: 'WARNING', summary: 'bk/d: behind by 2 snapshots (common @a) (> 1)' });
  });
  it('CRITICAL target-modified with the rollback command', () => {
    const r = run([probe(adhoc, S(), [[ds('bk/d', vl('bk/d', '@a:1', '@b:2', '@c:3'), { written: 65536 })]])]);
    expect(r.state).toBe('CRITICAL');
    expect(r.summary).toMatch(/^bk\/d: target-modified: was modified since @c \(65536 bytes written/);
    expect(r.details?.find((l) => l.startsWith('  fix:'))).toBe(
      '  fix: zfailover sync tank/d bk/d --rollback-target  # discards the writes made on the replica since @c; the sync sets readonly=on again',
    );
  });
  it('CRITICAL diverged / target-newer / no-common-snapshot, each named', () => {
    const cases: [string, string[]][] = [
      ['diverged', ['@a:1', '@x:2']],
      ['target-newer', ['@a:1', '@b:2', '@c:3', '@y:4']],
      ['no-common-snapshot', ['@q:1']],
    ];
    for (const [relation, versions] of cases) {
      const r = run([probe(adhoc, S(), [[ds('bk/d', vl('bk/d', ...versions))]])]);
      expect([r.state, r.summary.split(':')[1]?.trim()]).toEqual(['CRITICAL', relation]);
      expect(r.details?.some((l) => l.startsWith('  fix: '))).toBe(true);
    }
  });
  it('CRITICAL two-primaries when both sides carry role=primary', () => {
    const r = run([probe(adhoc, S(), [[ds('bk/d', vl('bk/d', '@a:1', '@b:2', '@c:3'), { role: 'primary', epoch: 2 })]])]);
    expect(r).toMatchObject({ state: 'CRITICAL', summary: 'bk/d: two primaries: tank/d and bk/d both carry zfailover:role=primary' });
  });
  it('remote targets are named host:dataset and the fix runs zfs over ssh, quoted for both shells', () => {
    const j = job('tank/d', ['root@backup:2222:bk/d e'], { adhoc: false, id: 'web' });
    const r = run([probe(j, S(), [[ds('bk/d e', vl('bk/d e', '@b:0=g9', '@a:1'))]])]);
    expect(r.summary).toMatch(/^job web: root@backup:2222:bk\/d e: snapshot-name-reused/);
    expect(r.details?.join('\n')).toContain(
      `fix: ssh -p 2222 root@backup 'zfs rename '\\''bk/d e@b'\\'' '\\''bk/d e@b.stale-g9'\\''' && zfailover sync --job web  #`,
    );
  });
});
