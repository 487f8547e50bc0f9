// Metrics on against metrics off (issue 16): the same no-change cycle of the 1-dataset local job, once with the
// plain config and once with `metrics.textfile_dir` added, interleaved in the same rounds. Writing the textfile
// and the counters must stay within noise: target ratio of medians <= 1.10.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { interleave } from '../lib/interleave.mjs';
import { compare, fmt, fmtStat, table } from '../lib/stats.mjs';
import { zfailoverSync } from '../lib/tools.mjs';

export const METRICS_SCENARIO = {
  scenario: 'metrics1',
  job: 'local1',
  title: 'no-change cycle, 1 dataset, local (zfs-fuse): metrics on / off',
  target: { op: '<=', value: 1.1 },
};

export const runMetricsCycles = async (env, workDir, rounds) => {
  const textDir = `${workDir}/textfile`;
  mkdirSync(textDir, { recursive: true, mode: 0o755 });
  const withMetrics = `${workDir}/zfailover-metrics.yml`;
  writeFileSync(withMetrics, `${readFileSync(env.config, 'utf8')}metrics:\n  textfile_dir: ${textDir}\n`, { mode: 0o600 });
  const { scenario, job } = METRICS_SCENARIO;
  await interleave('no-change cycles, metrics on / off', rounds, [
    { scenario, tool: 'metrics off', run: () => zfailoverSync(env.config, job) },
    { scenario, tool: 'metrics on', run: () => zfailoverSync(withMetrics, job) },
  ]);
  // The on runs must really have written: otherwise the comparison proves nothing.
  return { files: readdirSync(textDir).filter((f) => f.endsWith('.prom')) };
};

export const renderMetrics = (result, verdicts) => {
  const { scenario, title, target } = METRICS_SCENARIO;
  const c = compare(scenario, 'metrics on', 'metrics off', 'wallMs', target);
  const cpu = compare(scenario, 'metrics on', 'metrics off', 'cpuMs', null);
  const wrote = (result?.files ?? []).length > 0;
  const verdict = wrote ? c.verdict : 'NO DATA';
  verdicts.push({ what: title, ratio: c.ratio, target, verdict });
  const s = (d) => ({ ...d, median: d.median / 1000, min: d.min / 1000, max: d.max / 1000 });
  return [
    'Metrics: cost of writing the node_exporter textfile and counters per cycle',
    table(
      ['scenario', 'metrics on s: median (min-max, n)', 'metrics off s: median (min-max, n)', 'ratio (paired)', 'target', 'verdict', 'cpu ms on/off'],
      [
        [
          title,
          fmtStat(s(c.da)),
          fmtStat(s(c.db)),
          `${fmt(c.ratio)} (${fmt(c.paired)})`,
          `${target.op} ${target.value}`,
          verdict,
          `${fmt(cpu.da.median, 0)} / ${fmt(cpu.db.median, 0)}`,
        ],
      ],
    ),
    wrote ? `  textfile written: ${result.files.join(', ')}` : '  no textfile was written: the comparison proves nothing',
  ].join('\n');
};
