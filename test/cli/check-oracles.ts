// Independent judges of plugin output, for every check test that runs a real executable: the status line
// shape and exit code agree, Monit's 512-byte budget holds, and the perfdata parses the same in our strict
// parser, in Icinga 2 (`parse_performance_data`, what Icinga itself stores) and in Perl Monitoring::Plugin.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { parsePerfdata } from '../../src/plugin/perfdata.js';

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export const STATUS_LINE = /^(OK|WARNING|CRITICAL|UNKNOWN): [^\n|]+?( \| [^\n|]+)?$/;

const has = (file: string, args: string[]): boolean => {
  try {
    execFileSync(file, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};
const ICINGA = has('icinga2', ['console', '--eval', '1']);
const PERL = has('perl', ['-MMonitoring::Plugin::Performance', '-e', '1']);

export interface PluginOutput {
  readonly state: (typeof STATES)[number];
  readonly summary: string;
  /** label -> value in the perfdata's own unit. */
  readonly perf: Record<string, { value: number; uom: string; warn: string; crit: string }>;
  readonly lines: string[];
}

/** Asserts the plugin contract on one run and returns the parsed first line. */
export const judge = (stdout: string, code: number, opts: { maxFirstLine?: number } = {}): PluginOutput => {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const first = lines[0] ?? '';
  expect(first, `status line: ${first}`).toMatch(STATUS_LINE);
  const state = first.slice(0, first.indexOf(':')) as PluginOutput['state'];
  expect(code, `exit code of: ${first}`).toBe(STATES.indexOf(state));
  // Monit shows 512 bytes of stderr+stdout: the status line with perfdata must fit, with room to spare.
  expect(Buffer.byteLength(first), first).toBeLessThanOrEqual(opts.maxFirstLine ?? 400);
  const bar = first.indexOf(' | ');
  const summary = bar < 0 ? first.slice(state.length + 2) : first.slice(state.length + 2, bar);
  const perfText = bar < 0 ? '' : first.slice(bar + 3);
  const ours = parsePerfdata(perfText);
  const perf: PluginOutput['perf'] = {};
  for (const p of perfText.match(/'[^']*'=\S*|\S+/g) ?? []) {
    const m = /^'?([^'=]+)'?=(-?[\d.]+)([a-zA-Z%]*)(?:;([^;]*))?(?:;([^;]*))?/.exec(p);
    if (m) perf[m[1] as string] = { value: Number(m[2]), uom: m[3] ?? '', warn: m[4] ?? '', crit: m[5] ?? '' };
  }
  expect(Object.keys(perf)).toEqual(ours.map((p) => p.label));
  if (perfText && ICINGA) {
    const tokens = perfText.match(/'[^']*'=\S*|\S+/g) ?? [];
    const expr = `[${tokens.map((t) => `parse_performance_data(${JSON.stringify(t)})`).join(', ')}]`;
    const parsed = JSON.parse(execFileSync('icinga2', ['console', '--eval', expr], { stdio: 'pipe' }).toString()) as { label: string; value: number }[];
    const scale: Record<string, number> = { ms: 0.001, us: 0.000001 };
    expect(parsed.map((p) => [p.label, p.value])).toEqual(ours.map((p) => [p.label, expect.closeTo(p.value * (scale[p.uom ?? ''] ?? 1), 6)]));
  }
  if (perfText && PERL) {
    const script =
      'use Monitoring::Plugin::Performance; print join("\\n", map { $_->label . "=" . $_->value } Monitoring::Plugin::Performance->parse_perfstring($ARGV[0])), "\\n";';
    const out = execFileSync('perl', ['-e', script, perfText], { stdio: 'pipe' }).toString().trim().split('\n');
    expect(out).toEqual(ours.map((p) => `${p.label}=${p.value}`));
  }
  return { state, summary, perf, lines };
};

/** Total stdout+stderr as Monit would capture it. */
export const monitBytes = (stdout: string, stderr: string): number => Buffer.byteLength(stderr) + Buffer.byteLength(stdout);
