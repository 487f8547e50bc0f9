// Perfdata: exact format, strict parsing, round trips, and acceptance by the independent parsers that Icinga 2
// (`parse_performance_data`) and Perl Monitoring::Plugin::Performance implement.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { formatPerfdata, formatPerfdatum, parsePerfdata, type Perfdatum, type Uom } from '../../../src/plugin/perfdata.js';
import { parseRange, type Range } from '../../../src/plugin/range.js';

describe('formatPerfdatum', () => {
  it('writes label=valueUOM;warn;crit;min;max and drops trailing empty fields', () => {
    expect(formatPerfdatum({ label: 'rpo', value: 12, uom: 's', warning: parseRange('30'), critical: parseRange('120'), min: 0 })).toBe('rpo=12s;30;120;0');
    expect(formatPerfdatum({ label: 'behind', value: 3 })).toBe('behind=3');
    expect(formatPerfdatum({ label: 'pending', value: 1024, uom: 'B', min: 0 })).toBe('pending=1024B;;;0');
    expect(formatPerfdatum({ label: 'x', value: 0.5, uom: '%', critical: parseRange('@10:20'), max: 100 })).toBe('x=0.5%;;@10:20;;100');
  });
  it('quotes labels with spaces and replaces characters that would break the line', () => {
    expect(formatPerfdatum({ label: 'tank/my data rpo', value: 1 })).toBe("'tank/my data rpo'=1");
    expect(formatPerfdatum({ label: "it's=x", value: 1 })).toBe('it_s_x=1');
    expect(formatPerfdatum({ label: 'tank/a:b', value: 1 })).toBe('tank/a:b=1');
  });
  it('never prints exponents', () => {
    expect(formatPerfdatum({ label: 'b', value: 1e21, uom: 'B' })).toBe('b=1000000000000000000000B');
    expect(formatPerfdatum({ label: 's', value: 1e-7, uom: 's' })).toBe('s=0s');
  });
});

describe('parsePerfdata', () => {
  it('reads what check_load/check_disk print', () => {
    const ps = parsePerfdata('load1=0.880;50.000;60.000;0; /=24851251200B;216442024755;243497277849;0;270552530944');
    expect(ps.map((p) => [p.label, p.value, p.uom, p.min, p.max])).toEqual([
      ['load1', 0.88, '', 0, undefined],
      ['/', 24851251200, 'B', 0, 270552530944],
    ]);
  });
  it.each(['lag=U', 'lag=12xs', 'x=1e3', 'x', "'a=1", 'x=1;;;;;', 'x=1;abc'])('rejects %j', (t) => {
    expect(() => parsePerfdata(t)).toThrow();
  });
});

const arbRange: fc.Arbitrary<Range | undefined> = fc.option(
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.constantFrom('plain', 'open', 'neg'))
    .map(([a, len, invert, shape]) => ({
      start: shape === 'neg' ? -Infinity : a,
      end: shape === 'open' ? Infinity : a + len,
      invert,
    })),
  { nil: undefined },
);
const arbDatum: fc.Arbitrary<Perfdatum> = fc.record({
  label: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_ ./:-]{0,30}$/).filter((s) => s.trim() === s),
  value: fc.oneof(
    fc.integer({ min: -1e12, max: 1e12 }),
    fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1000),
  ),
  uom: fc.constantFrom<Uom>('', 's', 'ms', '%', 'B', 'c'),
  warning: arbRange,
  critical: arbRange,
  min: fc.option(fc.integer({ min: -10, max: 0 }), { nil: undefined }),
  max: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }),
});
const strip = (p: Perfdatum): Record<string, unknown> => JSON.parse(JSON.stringify(p, (_k, v) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)));

test.prop([fc.array(arbDatum, { maxLength: 6 })])('parsePerfdata(formatPerfdata(ps)) == ps', (ps) => {
  expect(parsePerfdata(formatPerfdata(ps)).map(strip)).toEqual(ps.map((p) => strip({ ...p, uom: p.uom ?? '' })));
});

const icingaReason = (() => {
  try {
    execFileSync('icinga2', ['console', '--eval', '1'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'icinga2-bin is not installed (apt-get install icinga2-bin)';
  }
})();

describe.skipIf(icingaReason)(`Icinga 2 parse_performance_data${icingaReason ? ` (skipped: ${icingaReason})` : ''}`, () => {
  it('accepts 300 random formatted tokens with the same label, value, numeric thresholds and min/max', () => {
    const data = fc.sample(arbDatum, { numRuns: 300, seed: 42 });
    const tokens = data.map(formatPerfdatum);
    const expr = `[${tokens.map((t) => `parse_performance_data(${JSON.stringify(t)})`).join(', ')}]`;
    const parsed = JSON.parse(execFileSync('icinga2', ['console', '--eval', expr], { stdio: 'pipe' }).toString()) as {
      label: string;
      value: number;
      warn: number | null;
      crit: number | null;
      min: number | null;
      max: number | null;
      unit: string;
    }[];
    const scale: Record<string, number> = { ms: 0.001 };
    // Icinga keeps a threshold only when it is a plain upper bound `N` (0..N); ranges become null.
    const simple = (r: Range | undefined): number | null => (r && !r.invert && r.start === 0 && r.end !== Infinity ? r.end : null);
    const expected = data.map((d) => {
      const k = scale[d.uom ?? ''] ?? 1;
      const n = (x: number | null | undefined): unknown => (x === null || x === undefined ? null : expect.closeTo(x * k, 9));
      return { label: d.label, value: n(d.value), warn: n(simple(d.warning)), crit: n(simple(d.critical)), min: n(d.min), max: n(d.max) };
    });
    expect(parsed.map(({ label, value, warn, crit, min, max }) => ({ label, value, warn, crit, min, max }))).toEqual(expected);
  });
});
