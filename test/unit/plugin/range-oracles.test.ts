// Our ranges agree with two independent implementations: python3-nagiosplugin's Range (parse and match on
// random ranges and values) and Perl Monitoring::Plugin::Threshold (warning/critical status).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alerts, evaluate, formatNumber, parseRange } from '../../../src/plugin/range.js';

const PY = '/usr/bin/python3';
const probe = (file: string, args: string[]): string | null => {
  try {
    execFileSync(file, args, { stdio: 'pipe' });
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'failed';
  }
};
const pyReason = probe(PY, ['-c', 'import nagiosplugin']) && 'python3-nagiosplugin is not installed (apt-get install python3-nagiosplugin)';
const perlReason = probe('perl', ['-MMonitoring::Plugin::Threshold', '-e', '1']) && 'libmonitoring-plugin-perl is not installed';

const num = fc.oneof(
  fc.integer({ min: -50, max: 50 }),
  fc.integer({ min: -5000, max: 5000 }).map((n) => n / 100),
);
/** Range texts in the guidelines' grammar, including odd but valid corners (`:`, `~:`, `@0:0`). */
const rangeText = fc
  .record({
    inv: fc.boolean(),
    start: fc.option(fc.oneof(num, fc.constant('~' as const)), { nil: undefined }),
    end: fc.option(num, { nil: undefined }),
    colon: fc.boolean(),
  })
  .filter(({ start, end, colon }) => (start === undefined && !colon ? end !== undefined : true))
  .map(({ inv, start, end, colon }) => {
    const s = start === undefined ? '' : start === '~' ? '~' : formatNumber(start);
    const e = end === undefined ? '' : formatNumber(end);
    return `${inv ? '@' : ''}${start !== undefined || colon ? `${s}:` : ''}${e}`;
  });

const PY_SCRIPT = `
import json, sys, nagiosplugin
out = []
for spec, values in json.load(sys.stdin):
    try:
        r = nagiosplugin.Range(spec)
    except ValueError:
        out.append(None)
        continue
    out.append([not r.match(v) for v in values])
print(json.dumps(out))
`;

describe.skipIf(pyReason)(`ranges agree with python3-nagiosplugin${pyReason ? ` (skipped: ${pyReason})` : ''}`, () => {
  it('on 2000 random ranges x 8 values: same accept/reject and same alert decisions', () => {
    const cases = fc.sample(fc.tuple(rangeText, fc.array(num, { minLength: 8, maxLength: 8 })), { numRuns: 2000, seed: 20261126 });
    const theirs = JSON.parse(execFileSync(PY, ['-c', PY_SCRIPT], { input: JSON.stringify(cases) }).toString()) as (boolean[] | null)[];
    const ours = cases.map(([spec, values]) => {
      let r;
      try {
        r = parseRange(spec);
      } catch {
        return null;
      }
      return values.map((v) => alerts(r, v));
    });
    const mismatches = cases.filter((_, i) => JSON.stringify(ours[i]) !== JSON.stringify(theirs[i]));
    expect(mismatches).toEqual([]);
    // Both rejections and every kind of range occurred, so the agreement is not vacuous.
    expect(theirs.filter((x) => x === null).length).toBeGreaterThan(50);
    expect(cases.some(([s]) => s.startsWith('@')) && cases.some(([s]) => s.includes('~'))).toBe(true);
  });
});

const PERL_SCRIPT = `
use Monitoring::Plugin::Threshold;
use Monitoring::Plugin::Range;
while (my $line = <STDIN>) {
  chomp $line;
  my ($w, $c, @values) = split / /, $line;
  if (!defined Monitoring::Plugin::Range->parse_range_string($w) || !defined Monitoring::Plugin::Range->parse_range_string($c)) {
    print "rejected\n";
    next;
  }
  my $t = Monitoring::Plugin::Threshold->set_thresholds(warning => $w, critical => $c);
  print join(' ', map { $t->get_status($_) } @values), "\\n";
}
`;

describe.skipIf(perlReason)(`thresholds agree with Perl Monitoring::Plugin${perlReason ? ` (skipped: ${perlReason})` : ''}`, () => {
  it('gives the same 0/1/2 status for random warning/critical pairs', () => {
    const valid = rangeText.filter((s) => {
      try {
        parseRange(s);
        return true;
      } catch {
        return false;
      }
    });
    const cases = fc.sample(fc.tuple(valid, valid, fc.array(num, { minLength: 6, maxLength: 6 })), { numRuns: 500, seed: 7 });
    const input = cases.map(([w, c, vs]) => [w, c, ...vs].join(' ')).join('\n') + '\n';
    const theirs = execFileSync('perl', ['-e', PERL_SCRIPT], { input, stdio: 'pipe' }).toString().trim().split('\n');
    const code = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;
    const ours = cases.map(([w, c, vs], i) =>
      theirs[i] === 'rejected' ? 'rejected' : vs.map((v) => code[evaluate(v, { warning: parseRange(w), critical: parseRange(c) })]).join(' '),
    );
    expect(ours).toEqual(theirs);
    // Perl is stricter only about empty bounds (`:`, `@:`, `~:`), which python3-nagiosplugin accepts as 0..inf.
    const rejected = cases.filter((_, i) => theirs[i] === 'rejected');
    expect(rejected.every(([w, c]) => [w, c].some((r) => /^@?~?:$|^@?:/.test(r)))).toBe(true);
    expect(rejected.length).toBeLessThan(cases.length / 2);
  });
});
