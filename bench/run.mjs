#!/usr/bin/env node
// `npm run bench`: zfailover against syncoid (Debian's sanoid 2.1.0) and against the raw zfs pipe, interleaved on
// the same pools in one run: no-change cycles (1 dataset, a 50-child tree; local and ssh; zfs-fuse and the
// OpenZFS guest), 300 MiB incremental throughput, processes per cycle, and the checks bench. Progress on stderr,
// the summary on stdout, raw samples as JSON under /tmp. Needs root, zfs-fuse, syncoid, strace; run after a build.
//   BENCH_QUICK=1        short run (fewer rounds)
//   BENCH_ONLY=a,b       parts: cycles, tree, throughput, processes, openzfs, checks, metrics (default: all)
//   BENCH_MIB=300        size of the throughput increment;  BENCH_OUT=FILE  where the JSON goes
// Exit: 0 every target met, 1 some target missed, 3 the bench could not run.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { cleanupAll, installSignalHandlers, interruptedBy, onCleanup } from './lib/cleanup.mjs';
import { runChecksBench } from './lib/checks-bench.mjs';
import { zfsUnavailableReason } from './lib/pools.mjs';
import { progress, run } from './lib/proc.mjs';
import { renderChecks, renderCycles, renderProcesses, renderThroughput, renderVerdicts } from './lib/report.mjs';
import { describe, fmt, samples } from './lib/stats.mjs';
import { ROOT, SYNCOID } from './lib/tools.mjs';
import { CYCLE_SCENARIOS, runSmallCycles, runTreeCycles } from './scenarios/cycles.mjs';
import { setupFuse } from './scenarios/fuse-env.mjs';
import { OPENZFS_SCENARIOS, runOpenzfs } from './scenarios/openzfs.mjs';
import { renderScale, runScale } from './scenarios/scale.mjs';
import { countProcesses } from './scenarios/processes.mjs';
import { MUX_TOOL, runThroughput, THROUGHPUT_SCENARIOS } from './scenarios/throughput.mjs';
import { renderMetrics, runMetricsCycles } from './scenarios/metrics.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const PARTS = ['cycles', 'tree', 'throughput', 'processes', 'openzfs', 'scale', 'checks', 'metrics'];
const only = new Set(
  (process.env.BENCH_ONLY ?? PARTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const MIB = Number(process.env.BENCH_MIB ?? 300);
const ROUNDS = QUICK
  ? { small: 4, tree: 2, throughput: 2, oz1: 2, oz50: 0, scale: 1, scaleSyncoid: 0, checks: 5, metrics: 6 }
  : { small: 15, tree: 4, throughput: 5, oz1: 3, oz50: 1, scale: 2, scaleSyncoid: 1, checks: 15, metrics: 15 };
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
const OUT = process.env.BENCH_OUT ?? `/tmp/zfailover-bench-${stamp}.json`;

const preflight = async () => {
  const unknown = [...only].filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) return `unknown BENCH_ONLY part(s): ${unknown.join(', ')} (known: ${PARTS.join(', ')})`;
  if (!Number.isInteger(MIB) || MIB < 1) return `BENCH_MIB must be a whole number of MiB, got '${process.env.BENCH_MIB}'`;
  if (!existsSync(`${ROOT}dist/bundle/bin.js`) || !existsSync(`${ROOT}dist/zfs/list.js`)) return 'not built: run npm run build (npm run bench does it)';
  if (!existsSync(SYNCOID)) return `${SYNCOID} is missing (apt-get install sanoid)`;
  if (!existsSync('/usr/bin/strace') && only.has('processes')) return 'strace is missing (apt-get install strace), or leave out BENCH_ONLY=processes';
  // The guest parts (openzfs, scale) and checks need no zfs-fuse pool of this host.
  const local = [...only].filter((p) => !['openzfs', 'scale', 'checks'].includes(p));
  if (local.length === 0) return process.getuid?.() !== 0 ? 'the bench needs root (the lab key of the guest is root-only)' : null;
  return await zfsUnavailableReason();
};

const main = async () => {
  installSignalHandlers();
  const why = await preflight();
  if (why) {
    process.stdout.write(`bench cannot run: ${why}\n`);
    return 3;
  }
  const workDir = `/tmp/zfo-bench-${randomBytes(3).toString('hex')}`;
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  onCleanup(`remove ${workDir}`, () => {
    // A pool that could not be destroyed is still mounted below it: walking into a wedged FUSE mount would hang.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m) => m?.startsWith(`${workDir}/`));
    if (mounts.length > 0) throw new Error(`${workDir} kept: still mounted ${mounts.join(' ')}`);
    rmSync(workDir, { recursive: true, force: true });
  });
  const meta = {
    startedAt: new Date().toISOString(),
    host: hostname(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    syncoid: (await run('dpkg-query', ['-W', '-f', '${Version}', 'sanoid'], { cpu: false })).stdout.trim() || 'unknown',
    quick: QUICK,
    parts: [...only],
    rounds: ROUNDS,
    mib: MIB,
    loadAtStart: readFileSync('/proc/loadavg', 'utf8').trim(),
  };
  progress(`bench ${QUICK ? '(quick) ' : ''}parts: ${[...only].join(', ')}; work dir ${workDir}; samples -> ${OUT}`);
  const result = { meta, processes: null, openzfs: null, scale: null, checks: null, metrics: null, error: null };
  try {
    const fuseKeys = new Set();
    if (only.has('cycles') || only.has('processes')) ['local1', 'ssh1'].forEach((k) => fuseKeys.add(k));
    if (only.has('metrics')) fuseKeys.add('local1');
    if (only.has('tree') || (only.has('processes') && !QUICK)) ['local50', 'ssh50'].forEach((k) => fuseKeys.add(k));
    if (only.has('throughput')) ['tpLocal', 'tpSsh'].forEach((k) => fuseKeys.add(k));
    const env = fuseKeys.size > 0 ? await setupFuse({ workDir, poolMiB: 1024 + 6 * MIB, only: fuseKeys }) : null;
    if (only.has('cycles') && !interruptedBy()) await runSmallCycles(env, ROUNDS.small);
    if (only.has('tree') && !interruptedBy()) await runTreeCycles(env, ROUNDS.tree);
    if (only.has('throughput') && !interruptedBy()) await runThroughput(env, ROUNDS.throughput, MIB);
    if (only.has('processes') && !interruptedBy())
      result.processes = await countProcesses(env, QUICK ? ['local1', 'ssh1'] : ['local1', 'ssh1', 'local50', 'ssh50'], workDir);
    if (only.has('openzfs') && !interruptedBy()) result.openzfs = await guestPart('OpenZFS', () => runOpenzfs(workDir, { oz1: ROUNDS.oz1, oz50: ROUNDS.oz50 }));
    if (only.has('scale') && !interruptedBy())
      result.scale = await guestPart('scale', () => runScale(workDir, { scale: ROUNDS.scale, scaleSyncoid: ROUNDS.scaleSyncoid }));
    if (only.has('checks') && !interruptedBy()) result.checks = await runChecksBench(ROUNDS.checks);
    if (only.has('metrics') && !interruptedBy()) result.metrics = await runMetricsCycles(env, workDir, ROUNDS.metrics);
  } catch (e) {
    result.error = e.message;
    progress(`bench failed: ${e.message}`);
  }
  meta.finishedAt = new Date().toISOString();
  meta.loadAtEnd = readFileSync('/proc/loadavg', 'utf8').trim();
  progress('cleaning up (pools, sshds, ssh masters, guest datasets)');
  await cleanupAll();
  if (interruptedBy()) return 130;

  const verdicts = [];
  const parts = [header(meta)];
  if (only.has('cycles'))
    parts.push(
      renderCycles(
        'No-change cycle, zfs-fuse (pool v23: no `written`, so both tools snapshot and send every cycle)',
        pick(CYCLE_SCENARIOS, ['local1', 'ssh1']),
        verdicts,
      ),
    );
  if (only.has('tree')) parts.push(renderCycles('No-change cycle, tree of 1 + 50 datasets, zfs-fuse', pick(CYCLE_SCENARIOS, ['local50', 'ssh50']), verdicts));
  if (only.has('throughput')) parts.push(renderThroughput(THROUGHPUT_SCENARIOS, MIB, verdicts, MUX_TOOL));
  if (only.has('openzfs')) {
    parts.push(
      result.openzfs?.reason
        ? `OpenZFS guest: skipped (${result.openzfs.reason})`
        : renderCycles(
            `No-change cycle on OpenZFS ${result.openzfs?.version ?? ''} (qemu TCG guest; remote->remote through this host; few rounds)` +
              (ROUNDS.oz50 === 0 ? '\n(BENCH_QUICK leaves out the 50-child tree here: syncoid needs ~4 min per run on the guest)' : ''),
            pick(OPENZFS_SCENARIOS, ROUNDS.oz50 === 0 ? ['oz1'] : ['oz1', 'oz50']),
            verdicts,
          ),
    );
  }
  if (only.has('scale')) parts.push(renderScale(result.scale, verdicts));
  if (only.has('processes') || result.openzfs?.processes) parts.push(renderProcesses({ ...(result.processes ?? {}), ...(result.openzfs?.processes ?? {}) }));
  if (only.has('checks')) parts.push(renderChecks(result.checks, verdicts));
  if (only.has('metrics')) parts.push(renderMetrics(result.metrics, verdicts));
  parts.push(renderVerdicts(verdicts));
  if (result.error) parts.push(`BENCH ERROR: ${result.error} (the numbers above are partial)`);
  parts.push(`raw samples: ${OUT}`);
  writeFileSync(OUT, `${JSON.stringify({ ...result, verdicts, samples }, null, 1)}\n`);
  process.stdout.write(`${parts.join('\n\n')}\n`);
  if (result.error) return 3;
  return verdicts.every((v) => v.verdict === 'PASS') ? 0 : 1;
};

/** A part on the guest: its result, or {reason} when the guest is missing or the part failed (the bench goes on). */
const guestPart = async (label, fn) => {
  let r;
  try {
    r = await fn();
  } catch (e) {
    r = { reason: `failed: ${e.message.split('\n')[0]}` };
  }
  if (r.reason) progress(`${label} part skipped: ${r.reason}`);
  return r;
};

const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));

const header = (m) => {
  const load = describe(samples.map((s) => s.load1));
  const qemu = describe(samples.map((s) => s.qemuCores));
  const during =
    load.n === 0
      ? ''
      : `; 1-min load during runs median ${fmt(load.median, 2)} (${fmt(load.min, 2)}-${fmt(load.max, 2)}); qemu VMs burnt ${fmt(qemu.median, 2)} cores (median, max ${fmt(qemu.max, 2)}) during runs`;
  return [
    `zfailover bench ${m.startedAt} -> ${m.finishedAt}${m.quick ? ' (BENCH_QUICK)' : ''}: ${m.cpus} x ${m.cpuModel}, node ${m.node}, syncoid ${m.syncoid}`,
    `load average at start ${m.loadAtStart.split(' ').slice(0, 3).join(' ')}, at end ${m.loadAtEnd.split(' ').slice(0, 3).join(' ')}${during}`,
    'ratio = median(zfailover) / median(baseline); (paired) = median of per-round ratios of adjacent runs',
  ].join('\n');
};

process.exitCode = await main().catch(async (e) => {
  process.stdout.write(`bench crashed: ${e.stack ?? e}\n`);
  await cleanupAll();
  return 3;
});
// Leftover handles (none expected) must not keep a finished bench alive.
setTimeout(() => process.exit(), 5000).unref();
