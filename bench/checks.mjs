#!/usr/bin/env node
// Speed of the check plugins on a big tree: 1,000 datasets x 100 snapshots on each side (200,000 listing lines),
// through the real bin/check_zfs_* executables and a fake `zfs` first on PATH that prints a generated listing.
// Real zfs-fuse cannot hold 100k snapshots in reasonable time, so this measures our own start-up, parse and
// evaluate. Baselines are measured in the same run: `node -e 0` and the fake `zfs list` alone. Target: a
// check answers within 0.3 s plus node start-up. Judged by wall time (the "answers in" is latency);
// CPU is shown beside it and explained in docs/parts/bench.md §3.6. Exit 0 within target, 1 over.
//   node bench/checks.mjs [--datasets N] [--snapshots N] [--runs N]      (after npm run build)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DATASETS = arg('datasets', 1000);
const SNAPSHOTS = arg('snapshots', 100);
const RUNS = arg('runs', 15);
const TARGET_SECONDS = 0.3;

const { listArgv } = await import(`${ROOT}dist/zfs/list.js`);
const { capabilitiesFromProbes, capsCachePath } = await import(`${ROOT}dist/zfs/capabilities.js`);

const dir = join(tmpdir(), `zfo-bench-checks-${process.pid}`);
const bin = join(dir, 'bin');
const state = join(dir, 'state');
mkdirSync(bin, { recursive: true });
mkdirSync(join(state, 'cache'), { recursive: true });

// Capabilities of OpenZFS 2.3 from the captured probe outputs, cached as a real run would have cached them.
const fx = (f) => readFileSync(`${ROOT}test/fixtures/zfs/openzfs-2.3/${f}`, 'utf8');
const caps = capabilitiesFromProbes({
  zfsUsage: fx('probe-zfs-usage.txt'),
  zfsVersion: fx('probe-zfs-version.txt'),
  zfsProperties: fx('probe-zfs-get.txt'),
  zpoolUsage: fx('probe-zpool-usage.txt'),
  zpoolUpgrade: fx('probe-zpool-upgrade.txt'),
  holdsProbe: fx('probe-holds.txt'),
  packageVersion: null,
});
const cacheFile = () => writeFileSync(capsCachePath(state, 'local'), JSON.stringify({ detectedAt: Date.now(), host: 'local', caps }));
cacheFile();

// The listing the adapter asks for: same -o columns in the same order, one row per dataset and snapshot.
const T0 = 1_790_000_000;
const generate = (root, argv) => {
  const cols = argv[argv.indexOf('-o') + 1].split(',');
  const lines = [];
  const row = (values) => lines.push(cols.map((c) => values[c] ?? '-').join('\t'));
  const dsRow = (name, i) =>
    row({
      name,
      type: 'filesystem',
      guid: String(9e15 + i),
      createtxg: '5',
      creation: String(T0),
      written: '0',
      readonly: 'off',
      mounted: 'yes',
      mountpoint: `/${name}`,
      canmount: 'on',
      used: '1000',
      available: '100000000',
      referenced: '1000',
    });
  for (let d = -1; d < DATASETS - 1; d++) {
    // The root and DATASETS - 1 children: DATASETS datasets in all, each with SNAPSHOTS snapshots.
    const name = d < 0 ? root : `${root}/ds${String(d).padStart(4, '0')}`;
    dsRow(name, d + 1);
    for (let s = 0; s < SNAPSHOTS; s++) {
      row({
        name: `${name}@zfailover-sync_bench_${s}`,
        type: 'snapshot',
        guid: String(1e15 + (d + 1) * 1000 + s),
        createtxg: String(10 + s),
        creation: String(T0 + s * 15),
        written: '0',
        used: '0',
        referenced: '1000',
        userrefs: '0',
      });
    }
  }
  return `${lines.join('\n')}\n`;
};
const { argv: srcArgv } = listArgv(caps, 'bench/src', { recursive: true, columns: 'replication' });
const { argv: dstArgv } = listArgv(caps, 'bench/dst', { recursive: true, columns: 'replication' });
writeFileSync(join(dir, 'src.txt'), generate('bench/src', srcArgv));
writeFileSync(join(dir, 'dst.txt'), generate('bench/dst', dstArgv));
writeFileSync(
  join(bin, 'zfs'),
  `#!/bin/sh\n# fake zfs: the generated listings, and OpenZFS 2.3's answers to anything else\ncase "$*" in\n  *" bench/src") exec cat ${dir}/src.txt ;;\n  *" bench/dst") exec cat ${dir}/dst.txt ;;\nesac\necho "fake zfs: unexpected: $*" >&2\nexit 1\n`,
);
chmodSync(join(bin, 'zfs'), 0o755);

const config = join(dir, 'zfailover.yml');
writeFileSync(config, 'version: 1\njobs:\n  bench:\n    source: bench/src\n    targets: [bench/dst]\n    recursive: true\n', { mode: 0o600 });
const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir };
// Wall time, and CPU time (user+sys of the process and its children, from /usr/bin/time). Wall is what Nagios
// waits for; CPU is steadier on a shared machine but also counts V8's helper threads (background compiles,
// parallel GC), which run beside the main thread and do not delay the answer on a host with a spare core.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const time = (file, args) => {
  const t = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ['-f', 'ZFO_CPU %U %S', file, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(file, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const m = /ZFO_CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (m) r.stderr = r.stderr.slice(0, m.index);
  return { s, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, r };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = (label, file, args, check) => {
  time(file, args); // warm-up (page cache)
  const walls = [];
  const cpus = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const { s, cpu, r } = time(file, args);
    if (check) check(r);
    walls.push(s);
    cpus.push(cpu);
    last = r;
  }
  const m = { wall: median(walls), cpu: median(cpus), last };
  console.log(
    `${label.padEnd(44)} wall median ${(m.wall * 1000).toFixed(0).padStart(5)} ms (min ${(Math.min(...walls) * 1000).toFixed(0).padStart(5)})  cpu median ${(m.cpu * 1000).toFixed(0).padStart(5)} ms`,
  );
  return m;
};
const okLine = (r) => {
  if (r.status !== 0 || !/^OK: /.test(r.stdout)) throw new Error(`check failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
};

try {
  console.log(`checks on ${DATASETS} datasets x ${SNAPSHOTS} snapshots per side (${DATASETS * (SNAPSHOTS + 1) * 2} listing lines), ${RUNS} runs each`);
  const node = measure('node -e 0', process.execPath, ['-e', '0']);
  const list = measure('fake zfs list (one side) alone', join(bin, 'zfs'), srcArgv.slice(1));
  const results = [];
  for (const name of ['rpo', 'divergence']) {
    cacheFile();
    // As in production: a job from the config file (so the config is read and validated on every run).
    const args = ['--job', 'bench', '--config', config, '--state-dir', state, ...(name === 'rpo' ? ['--no-estimate'] : [])];
    const m = measure(`check_zfs_${name} --job (1 listing per side)`, join(ROOT, 'bin', `check_zfs_${name}`), args, okLine);
    // Our own work: what the check costs beyond a bare node start-up and the two zfs listings it waits for.
    const own = { wall: m.wall - node.wall - list.wall, cpu: m.cpu - node.cpu - 2 * list.cpu };
    results.push({ name, m, own, line: m.last.stdout.split('\n')[0] });
  }
  console.log('');
  const verdict = (x) => (x < TARGET_SECONDS ? 'within' : 'OVER');
  const ms = (x) => (x * 1000).toFixed(0);
  for (const r of results) {
    // This line's format is read by bench/lib/checks-bench.mjs (npm run bench): keep it as it is.
    console.log(
      `check_zfs_${r.name}: wall ${ms(r.m.wall)} ms = node start-up x${(r.m.wall / node.wall).toFixed(1)}; beyond node start-up and the listings: wall ${ms(r.own.wall)} ms (${verdict(r.own.wall)}), cpu ${ms(r.own.cpu)} ms (${verdict(r.own.cpu)}) of the ${TARGET_SECONDS * 1000} ms target`,
    );
    console.log(`  ${r.line.slice(0, 160)}`);
  }
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log('');
  console.log(`target: a check answers within ${TARGET_SECONDS * 1000} ms beyond node start-up and the listings it waits for`);
  for (const r of results) {
    console.log(
      `  check_zfs_${r.name.padEnd(11)} wall ${ms(r.own.wall).padStart(4)} ms: ${r.own.wall < TARGET_SECONDS ? 'PASS' : 'FAIL'}   (cpu ${ms(r.own.cpu).padStart(4)} ms: ${verdict(r.own.cpu)}, shown, not judged)`,
    );
  }
  const pass = results.every((r) => r.own.wall < TARGET_SECONDS);
  console.log(
    `verdict (wall time, median of ${RUNS}): ${pass ? 'PASS' : 'FAIL'}; load average ${loadavg} (wall grows with the neighbours' load: rerun on a quiet machine before trusting a FAIL)`,
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
