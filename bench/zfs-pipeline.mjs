// Throughput of runPipeline against the same `zfs send | zfs recv` run by sh, interleaved, on a zfs-fuse pool
// (root; run `npm run build` first). The stream joins through socketpairs handed from child to child, so the
// two should match. Usage: node bench/zfs-pipeline.mjs [MiB] [rounds]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { runPipeline } from '../dist/zfs/pipeline.js';
import { LocalRunner } from '../dist/zfs/runner-local.js';

const MIB = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const dir = '/tmp/zfo-test';
const pool = `zfobench${process.pid}`;
const img = `${dir}/${pool}.img`;
const run = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
mkdirSync(dir, { recursive: true });
run('truncate', '-s', `${MIB * (1 + 2 * ROUNDS) + 512}M`, img);
run('zpool', 'create', '-m', `${dir}/mnt/${pool}`, pool, img);
try {
  run('zfs', 'create', `${pool}/src`);
  run('dd', 'if=/dev/urandom', `of=${dir}/mnt/${pool}/src/f`, 'bs=1M', `count=${MIB}`, 'status=none');
  run('zfs', 'snapshot', `${pool}/src@s`);
  const runner = new LocalRunner();
  const rates = { sh: [], runPipeline: [] };
  for (let i = 0; i < ROUNDS; i++) {
    let t = Date.now();
    run('sh', '-c', `zfs send ${pool}/src@s | zfs recv ${pool}/sh${i}`);
    rates.sh.push(MIB / ((Date.now() - t) / 1000));
    t = Date.now();
    const r = await runPipeline(
      runner.processes([
        ['zfs', 'send', `${pool}/src@s`],
        ['zfs', 'recv', `${pool}/rp${i}`],
      ]),
    );
    if (!r.ok) throw r.error;
    rates.runPipeline.push(MIB / ((Date.now() - t) / 1000));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const [k, xs] of Object.entries(rates))
    console.log(`${k}: median ${med(xs).toFixed(0)} MiB/s (${xs.map((x) => x.toFixed(0)).join(', ')}) for ${MIB} MiB`);
} finally {
  for (let i = 0; i < 30; i++) {
    try {
      run('zpool', 'destroy', '-f', pool);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  rmSync(img, { force: true });
}
