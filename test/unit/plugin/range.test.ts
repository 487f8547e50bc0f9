// Threshold ranges: the guidelines' table, units, rejection of bad input, and parse/format round trips.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { UsageError } from '../../../src/errors.js';
import { alerts, durationAtom, evaluate, formatNumber, formatRange, parseRange, sizeAtom, violation, type Range } from '../../../src/plugin/range.js';

describe('parseRange: the Monitoring Plugins table', () => {
  // [range, value, alerts?]; the values around each bound, inclusive bounds never alert.
  const table: [string, number, boolean][] = [
    ['10', -1, true],
    ['10', 0, false],
    ['10', 10, false],
    ['10', 10.5, true],
    ['10:', 9.9, true],
    ['10:', 10, false],
    ['10:', 1e9, false],
    ['~:10', -1e9, false],
    ['~:10', 10, false],
    ['~:10', 11, true],
    ['10:20', 9, true],
    ['10:20', 10, false],
    ['10:20', 20, false],
    ['10:20', 21, true],
    ['@10:20', 9, false],
    ['@10:20', 10, true],
    ['@10:20', 20, true],
    ['@10:20', 21, false],
    ['-5:-1', -3, false],
    ['-5:-1', 0, true],
    ['0:', -1, true],
    ['~:', -1e12, false],
  ];
  it.each(table)('%s with %d alerts=%s', (spec, value, expected) => {
    expect(alerts(parseRange(spec), value)).toBe(expected);
  });

  it('matches check_procs semantics at 109 processes (monitoring.md 2.2)', () => {
    const at109 = (w: string): string => evaluate(109, { warning: parseRange(w) });
    expect(['200', '50', '50:', '~:50', '10:50', '@50:200', '@200:300'].map(at109)).toEqual(['OK', 'WARNING', 'OK', 'WARNING', 'WARNING', 'WARNING', 'OK']);
  });

  it.each(['', '@', 'abc', '10:5', '1:2:3', '~', '1e3', '10s', ' : x', '5:~', '--1', '-'])('rejects %j as a usage error', (spec) => {
    expect(() => parseRange(spec)).toThrow(UsageError);
  });
});

describe('parseRange with units', () => {
  it('reads time units into seconds; a bare number is seconds', () => {
    expect(parseRange('30s', durationAtom)).toEqual({ start: 0, end: 30, invert: false });
    expect(parseRange('2m', durationAtom).end).toBe(120);
    expect(parseRange('1h30m:', durationAtom)).toEqual({ start: 5400, end: Infinity, invert: false });
    expect(parseRange('@1d:2d', durationAtom)).toEqual({ start: 86400, end: 172800, invert: true });
    expect(parseRange('~:90', durationAtom)).toEqual({ start: -Infinity, end: 90, invert: false });
    expect(() => parseRange('10x', durationAtom)).toThrow(/invalid range '10x'/);
    expect(() => parseRange('2h:1h', durationAtom)).toThrow(/start is greater than end/);
  });
  it('reads binary size units into bytes', () => {
    expect(parseRange('10G', sizeAtom).end).toBe(10 * 1024 ** 3);
    expect(parseRange('512K:', sizeAtom).start).toBe(512 * 1024);
  });
});

describe('evaluate', () => {
  const t = { warning: parseRange('30'), critical: parseRange('120') };
  it('is CRITICAL beyond both, WARNING beyond warning only, else OK', () => {
    expect([0, 30, 31, 120, 121].map((v) => evaluate(v, t))).toEqual(['OK', 'OK', 'WARNING', 'WARNING', 'CRITICAL']);
    expect(evaluate(1e9, {})).toBe('OK');
  });
  it('explains a violation', () => {
    expect(violation(parseRange('30'), 31)).toBe('> 30');
    expect(violation(parseRange('10:'), 3)).toBe('< 10');
    expect(violation(parseRange('@~:5'), 3)).toBe('in -inf..5');
  });
});

const bound = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => Number(d.toFixed(3))),
);
const arbRange: fc.Arbitrary<Range> = fc
  .record({ a: fc.option(bound, { nil: -Infinity }), b: fc.option(bound, { nil: Infinity }), invert: fc.boolean() })
  .map(({ a, b, invert }) => (a <= b ? { start: a, end: b, invert } : { start: b, end: a, invert }));

describe('round trips', () => {
  test.prop([arbRange])('parseRange(formatRange(r)) == r', (r) => {
    const back = parseRange(formatRange(r));
    expect(back).toEqual({ ...r, start: r.start === 0 ? 0 : r.start, end: r.end === 0 ? 0 : r.end });
  });
  test.prop([arbRange, bound])('formatting keeps the alert decision', (r, v) => {
    expect(alerts(parseRange(formatRange(r)), v)).toBe(alerts(r, v));
  });
  test.prop([fc.double({ noNaN: true, noDefaultInfinity: true })])('formatNumber never uses exponents', (n) => {
    const s = formatNumber(n);
    expect(s).toMatch(/^-?\d+(\.\d{1,6})?$/);
    if (Number.isInteger(n)) expect(BigInt(s)).toBe(BigInt(n));
    else expect(Math.abs(Number(s) - n)).toBeLessThanOrEqual(5e-7 * Math.max(1, Math.abs(n)));
  });
});
