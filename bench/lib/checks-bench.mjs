// Runs the checks engineer's bench (bench/checks.mjs: check plugins on a 1,000 x 100 listing per side, against
// `node -e 0`) and reads its verdict lines, so its ratios land in the same summary. Verdict on wall time, as
// bench/checks.mjs judges (docs/parts/bench.md §3.6).
import { progress, run } from './proc.mjs';
import { ROOT } from './tools.mjs';

const LINE =
  /^check_zfs_(\w+): wall (\d+) ms = node start-up x([\d.]+); beyond node start-up and the listings: wall (-?\d+) ms \((\w+)\), cpu (-?\d+) ms \((\w+)\) of the (\d+) ms target/;
const NODE = /^node -e 0\s+wall median\s+(\d+) ms .*cpu median\s+(\d+) ms/;

/** {ok, nodeWallMs, checks: [{name, wallMs, xNode, ownWallMs, ownCpuMs, targetMs, verdict}], output} */
export const runChecksBench = async (runs) => {
  progress(`checks bench: node bench/checks.mjs --runs ${runs}`);
  const r = await run(process.execPath, [`${ROOT}bench/checks.mjs`, '--runs', String(runs)], { cpu: false, cwd: ROOT, env: process.env, timeoutMs: 1_800_000 });
  const lines = r.stdout.split('\n');
  const node = lines.map((l) => NODE.exec(l)).find(Boolean);
  const checks = lines
    .map((l) => LINE.exec(l))
    .filter(Boolean)
    .map((m) => ({
      name: m[1],
      wallMs: Number(m[2]),
      xNode: Number(m[3]),
      ownWallMs: Number(m[4]),
      ownCpuMs: Number(m[6]),
      targetMs: Number(m[8]),
      verdict: m[5] === 'within' ? 'PASS' : 'MISS',
    }));
  return {
    ok: checks.length > 0,
    exitCode: r.code,
    nodeWallMs: node ? Number(node[1]) : null,
    nodeCpuMs: node ? Number(node[2]) : null,
    checks,
    output: (r.stdout + r.stderr).trim(),
  };
};
