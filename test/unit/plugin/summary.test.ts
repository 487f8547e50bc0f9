// Summaries: worst state wins (CRITICAL > WARNING > UNKNOWN > OK), the first line stays within its byte
// budget whatever the number of subjects, and long output names every subject worst first, capped.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { worstState, type ServiceState } from '../../../src/outcome.js';
import { byteLength, summarise, truncate, type Finding } from '../../../src/plugin/summary.js';

const f = (state: ServiceState, subject: string, text = 'x'): Finding => ({ state, subject, text });

describe('worstState (src/outcome.ts): the aggregation order checks rely on', () => {
  it('ranks CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(worstState(['OK', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worstState(['UNKNOWN', 'WARNING'])).toBe('WARNING');
    expect(worstState(['WARNING', 'CRITICAL', 'UNKNOWN'])).toBe('CRITICAL');
    expect(worstState([])).toBe('OK');
  });
  test.prop([fc.array(fc.constantFrom<ServiceState>('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'))])('is order independent', (ss) => {
    expect(worstState([...ss].reverse())).toBe(worstState(ss));
  });
});

describe('summarise', () => {
  it('says UNKNOWN when there is nothing to check, never OK', () => {
    expect(summarise([], { noun: 'dataset' })).toMatchObject({ state: 'UNKNOWN', summary: 'no datasets to check' });
  });
  it('prints one finding as subject: text', () => {
    expect(summarise([f('WARNING', 'tank/a', 'rpo 40s (> 30s)')], { noun: 'dataset' })).toEqual({
      state: 'WARNING',
      summary: 'tank/a: rpo 40s (> 30s)',
      details: [],
    });
    const withHint = summarise([{ ...f('CRITICAL', 'tank/a', 'diverged'), notes: ['common @x'], hint: 'zfailover sync --rollback-target' }], {
      noun: 'dataset',
    });
    expect(withHint.details).toEqual(['  common @x', '  fix: zfailover sync --rollback-target']);
  });
  it('counts the worst state first and the other problems after', () => {
    const s = summarise(
      [f('OK', 'a'), f('CRITICAL', 'b', 'diverged'), f('WARNING', 'c', 'behind'), f('UNKNOWN', 'd', 'no data'), f('CRITICAL', 'e', 'no common')],
      { noun: 'dataset' },
    );
    expect(s.state).toBe('CRITICAL');
    expect(s.summary).toBe('2 of 5 datasets CRITICAL: b: diverged, e: no common; 1 WARNING, 1 UNKNOWN');
    expect(s.details.map((l) => l.split(':')[0])).toEqual(['CRITICAL', 'CRITICAL', 'WARNING', 'UNKNOWN', 'OK']);
  });
  it('uses the check-specific OK text for many OK findings', () => {
    expect(summarise([f('OK', 'a'), f('OK', 'b')], { noun: 'dataset', okText: '2 datasets, worst rpo 3s' }).summary).toBe('2 datasets, worst rpo 3s');
    expect(summarise([f('OK', 'a'), f('OK', 'b')], { noun: 'pool' }).summary).toBe('all 2 pools OK');
  });
  it('keeps the first line under 200 bytes with 1000 datasets, naming as many as fit', () => {
    const many = Array.from({ length: 1000 }, (_, i) => f(i % 3 === 0 ? 'CRITICAL' : 'OK', `tank/data/ds${i}`, 'rpo 2h05m (> 2m)'));
    const s = summarise(many, { noun: 'dataset' });
    expect(byteLength(s.summary)).toBeLessThanOrEqual(200);
    expect(s.summary).toMatch(/^334 of 1000 datasets CRITICAL: tank\/data\/ds0: rpo 2h05m \(> 2m\), .* \(\+\d+ more\)$/);
  });
  it('caps the long output and says how many lines were left out, by state', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ ...f(i < 10 ? 'WARNING' : 'OK', `d${i}`), hint: i < 10 ? 'zfailover sync' : undefined }));
    const s = summarise(many, { noun: 'dataset', maxDetails: 30 });
    expect(s.details).toHaveLength(31);
    expect(s.details.slice(0, 2)).toEqual(['WARNING: d0: x', '  fix: zfailover sync']);
    expect(s.details.at(-1)).toBe('... 280 more not shown (280 OK)');
  });
  test.prop([
    fc.array(
      fc.record({
        state: fc.constantFrom<ServiceState>('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'),
        subject: fc.string({ maxLength: 80 }),
        text: fc.string({ maxLength: 80 }),
      }),
      { minLength: 1, maxLength: 60 },
    ),
    fc.integer({ min: 40, max: 300 }),
  ])('state is the worst finding and the summary fits any budget', (fs, max) => {
    const s = summarise(fs, { noun: 'dataset', maxBytes: max });
    expect(s.state).toBe(worstState(fs.map((x) => x.state)));
    expect(byteLength(s.summary)).toBeLessThanOrEqual(max);
  });
  it('truncates on a character boundary', () => {
    expect(truncate('ééééé', 7)).toBe('éé...');
    expect(truncate('abc', 3)).toBe('abc');
  });
});
