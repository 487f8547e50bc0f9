// Sample bookkeeping and the summary: median/min/max per (scenario, tool), the ratio zfailover/baseline as a
// ratio of medians and as the median of per-round ratios (adjacent runs share the machine's load), and verdicts.

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const describe = (xs) => {
  const v = xs.filter(Number.isFinite);
  return { n: v.length, median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN };
};

/** All samples of the run, in order; written to the JSON file as they are. */
export const samples = [];

export const record = (scenario, tool, round, r, extra = {}) => {
  const s = {
    scenario,
    tool,
    round,
    ok: r.ok,
    wallMs: r.ok ? round3(r.wallMs) : null,
    cpuMs: r.ok && Number.isFinite(r.cpuMs) ? round3(r.cpuMs) : null,
    load1: r.load1 ?? null,
    qemuCores: Number.isFinite(r.qemuCores) ? round3(r.qemuCores) : null,
    failedAttempts: r.failures?.length ?? 0,
    ...(r.ok ? {} : { error: r.detail }),
    ...extra,
  };
  samples.push(s);
  return s;
};

const round3 = (x) => Math.round(x * 1000) / 1000;

/** Values of one metric for (scenario, tool), by round. */
export const byRound = (scenario, tool, metric) => {
  const m = new Map();
  for (const s of samples) if (s.scenario === scenario && s.tool === tool && s.ok && Number.isFinite(s[metric])) m.set(s.round, s[metric]);
  return m;
};

/**
 * Compare tool a (its metric) against baseline b (metricB, default the same). target: {op: '<=' | '>=', value}.
 * Returns {da, db, ratio, paired, verdict}: ratio = median(a) / median(b); paired = median over rounds of a/b.
 */
export const compare = (scenario, a, b, metric, target, metricB = metric) => {
  const ra = byRound(scenario, a, metric);
  const rb = byRound(scenario, b, metricB);
  const da = describe([...ra.values()]);
  const db = describe([...rb.values()]);
  const ratio = da.median / db.median;
  const paired = median([...ra.keys()].filter((k) => rb.has(k)).map((k) => ra.get(k) / rb.get(k)));
  let verdict = 'n/a';
  if (target && Number.isFinite(ratio)) verdict = (target.op === '<=' ? ratio <= target.value : ratio >= target.value) ? 'PASS' : 'MISS';
  if (target && !Number.isFinite(ratio)) verdict = 'NO DATA';
  return { scenario, a, b, metric, metricB, da, db, ratio, paired, target, verdict };
};

export const failures = (scenario, tool) =>
  // A failed sample of syncoid carries all its attempts; a failed run of another tool is one failure.
  samples.filter((s) => s.scenario === scenario && s.tool === tool).reduce((n, s) => n + (s.failedAttempts || (s.ok ? 0 : 1)), 0);

export const fmt = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** `0.412 (0.35-0.61, n=15)` */
export const fmtStat = (d, digits = 3) => (d.n === 0 ? 'no data' : `${fmt(d.median, digits)} (${fmt(d.min, digits)}-${fmt(d.max, digits)}, n=${d.n})`);

/** Plain text table with left-aligned columns. */
export const table = (header, rows) => {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  return [line(all[0]), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(line)].join('\n');
};
