// The final summary on stdout: one table per part (cycles, throughput, OpenZFS, processes, checks), each ratio
// zfailover/baseline with its target and PASS/MISS, and the list of verdicts at the end.
import { formatCounts } from './spawns.mjs';
import { compare, describe, failures, fmt, fmtStat, samples, table } from './stats.mjs';

const sec = (d) => ({ ...d, median: d.median / 1000, min: d.min / 1000, max: d.max / 1000 });

const cycleRows = (scenarios, verdicts) =>
  Object.entries(scenarios).map(([key, s]) => {
    const c = compare(key, 'zfailover', 'syncoid', 'wallMs', s.target);
    const cpu = compare(key, 'zfailover', 'syncoid', 'cpuMs', null);
    verdicts.push({ what: s.title, ratio: c.ratio, target: s.target, verdict: c.verdict });
    const failed = failures(key, 'syncoid');
    return [
      s.title,
      fmtStat(sec(c.da)),
      fmtStat(sec(c.db)),
      `${fmt(c.ratio)} (${fmt(c.paired)})`,
      `${s.target.op} ${s.target.value}`,
      c.verdict,
      `${fmt(cpu.da.median, 0)} / ${fmt(cpu.db.median, 0)}`,
      failed ? `${failed} failed syncoid attempt(s)` : '',
    ];
  });

export const renderCycles = (title, scenarios, verdicts) => {
  const out = [title];
  out.push(
    table(
      ['scenario', 'zfailover s: median (min-max, n)', 'syncoid s: median (min-max, n)', 'ratio (paired)', 'target', 'verdict', 'cpu ms z/s', 'notes'],
      cycleRows(scenarios, verdicts),
    ),
  );
  const node = describe(samples.filter((s) => s.scenario === 'node' && s.ok).map((s) => s.wallMs / 1000));
  if (node.n > 0) out.push(`node -e 0 (start-up floor, same rounds): ${fmtStat(node)} s`);
  return out.join('\n');
};

export const renderThroughput = (scenarios, mib, verdicts, muxTool) => {
  const rows = [];
  for (const [key, s] of Object.entries(scenarios)) {
    const e2e = compare(key, 'zfailover', 'raw pipe', 'rateMiBs', s.target);
    const data = compare(key, 'zfailover', 'raw pipe', 'dataRateMiBs', s.target, 'rateMiBs');
    verdicts.push({ what: `${s.title}, data path`, ratio: data.ratio, target: s.target, verdict: data.verdict });
    verdicts.push({ what: `${s.title}, end to end`, ratio: e2e.ratio, target: s.target, verdict: e2e.verdict });
    rows.push([
      `${s.title}, end to end`,
      fmtStat(e2e.da, 0),
      fmtStat(e2e.db, 0),
      `${fmt(e2e.ratio)} (${fmt(e2e.paired)})`,
      `${s.target.op} ${s.target.value}`,
      e2e.verdict,
    ]);
    rows.push([
      `${s.title}, data path`,
      fmtStat(data.da, 0),
      fmtStat(data.db, 0),
      `${fmt(data.ratio)} (${fmt(data.paired)})`,
      `${s.target.op} ${s.target.value}`,
      data.verdict,
    ]);
    const fixed = describe(samples.filter((x) => x.ok && x.scenario === key && x.tool === 'zfailover' && x.dataMs != null).map((x) => x.wallMs - x.dataMs));
    if (fixed.n > 0) rows.push([`  (info) zfailover's cycle outside its send|recv, ms`, fmtStat(fixed, 0), '', '', '', '']);
    const mux = compare(key, 'zfailover', muxTool, 'dataRateMiBs', null, 'rateMiBs');
    if (mux.db.n > 0)
      rows.push([
        `  (info) data path vs the raw pipe through a warm ssh master`,
        fmtStat(mux.da, 0),
        fmtStat(mux.db, 0),
        `${fmt(mux.ratio)} (${fmt(mux.paired)})`,
        '-',
        '',
      ]);
  }
  const cmds = [...new Set(samples.filter((x) => x.commands && x.ok).map((x) => `${x.tool}: ${x.commands[0]}`))].slice(0, 6);
  return [
    `Throughput, ${mib} MiB incremental of random data (MiB/s of payload; end to end = the whole zfailover cycle, data path = its send|recv step)`,
    table(['scenario', 'zfailover MiB/s (min-max, n)', 'raw pipe MiB/s (min-max, n)', 'ratio (paired)', 'target', 'verdict'], rows),
    ...cmds.map((c) => `  ${c}`),
  ].join('\n');
};

export const renderProcesses = (counts) => {
  if (!counts || Object.keys(counts).length === 0) return 'Processes per no-change cycle: not counted';
  const rows = [];
  for (const [key, tools] of Object.entries(counts)) {
    for (const [tool, c] of Object.entries(tools)) {
      const t = c.local?.timeline;
      const tl = t ? `${t.totalMs} = ${t.beforeFirstCallMs} + ${t.inCallsMs} + ${t.ownWorkMs}` : '-';
      rows.push([key, tool, c.ok ? formatCounts(c.local) : `FAILED: ${c.error}`, c.remote ? formatCounts(c.remote) : '-', tl]);
    }
  }
  const verbs = [];
  for (const [key, tools] of Object.entries(counts)) {
    for (const [tool, c] of Object.entries(tools)) {
      const v = { ...(c.local?.zfsVerbs ?? {}) };
      if (c.remote) for (const [k, n] of Object.entries(c.remote.zfsVerbs ?? {})) v[k] = Math.max(v[k] ?? 0, n);
      verbs.push(
        `  ${key} ${tool}: ${Object.entries(v)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}`,
      );
    }
  }
  return [
    'Processes per no-change cycle (successful execve, strace); timeline of that traced run in ms:',
    'total = before the first zfs/ssh call + while zfs/ssh calls run + the tool between calls',
    table(['scenario', 'tool', 'execs on this host', 'execs on the ssh side (private sshd)', 'timeline ms (under strace)'], rows),
    'zfs/zpool subcommands per cycle (either side):',
    ...verbs,
  ].join('\n');
};

export const renderChecks = (checks, verdicts) => {
  if (!checks) return 'Checks bench: not run';
  if (!checks.ok) return `Checks bench: no result lines (exit ${checks.exitCode}):\n${checks.output.slice(-1500)}`;
  const rows = checks.checks.map((c) => {
    verdicts.push({
      what: `check_zfs_${c.name}: wall time beyond node start-up and the listings (1,000 x 100)`,
      measured: `${c.ownWallMs} ms`,
      wanted: `< ${c.targetMs} ms`,
      verdict: c.verdict,
    });
    return [`check_zfs_${c.name}`, c.wallMs, `x${c.xNode}`, c.ownWallMs, c.ownCpuMs, `< ${c.targetMs}`, c.verdict];
  });
  return [
    `Checks bench (bench/checks.mjs: 1,000 datasets x 100 snapshots per side; node -e 0 = ${checks.nodeWallMs} ms wall, ${checks.nodeCpuMs} ms cpu)`,
    table(['check', 'wall ms', 'vs node -e 0', 'own wall ms', 'own cpu ms', 'target ms', 'verdict'], rows),
  ].join('\n');
};

export const renderVerdicts = (verdicts) =>
  [
    'Targets',
    table(
      ['target', 'measured', 'wanted', 'verdict'],
      verdicts.map((v) => [v.what, v.measured ?? fmt(v.ratio), v.wanted ?? (v.target ? `${v.target.op} ${v.target.value}` : '-'), v.verdict]),
    ),
  ].join('\n');
