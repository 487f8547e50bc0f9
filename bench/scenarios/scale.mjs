// Server scale on real OpenZFS 2.3 (the qemu guest; issue 18): a tree of 1 + 200 datasets (180 filesystems and
// 20 sparse zvols, as a Proxmox host keeps VM disks), remote to remote through this host. Per round, untimed
// prep writes 64 KiB into 10% of the children (20: filesystems and zvols alike), then one timed cycle; the
// contenders are the same job serial (--concurrency 1) and parallel (--concurrency N), and, on a tree of its
// own, syncoid -r. The no-change cycle of the 200-dataset tree is compared with a 1-dataset job of the same run.
// Everything is a ratio of two contenders measured in the same rounds (interleaved).
import { randomBytes } from 'node:crypto';
import { connectGuest, guestRoots } from '../lib/guest.mjs';
import { interleave } from '../lib/interleave.mjs';
import { onCleanup } from '../lib/cleanup.mjs';
import { progress } from '../lib/proc.mjs';
import { exitMasters } from '../lib/sshd.mjs';
import { syncoid, syncoidSshArgs, writeConfig, zfailoverSync } from '../lib/tools.mjs';
import { compare, fmt, fmtStat, table } from '../lib/stats.mjs';

export const CHILDREN = Number(process.env.BENCH_SCALE_CHILDREN ?? 200);
export const PARALLEL = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 4);
const ZVOLS = Math.round(CHILDREN / 10);
const CHANGED = Math.max(1, Math.round(CHILDREN / 10));

export const SCALE_SCENARIOS = {
  nochange: {
    title: `no-change cycle, 1+${CHILDREN} datasets vs 1 dataset (zfailover both; within 2x)`,
    a: 'zfailover tree',
    b: 'zfailover 1 dataset',
    target: { op: '<=', value: 2 },
  },
  parallel: {
    title: `cycle with ${CHANGED} of ${CHILDREN} datasets changed, --concurrency ${PARALLEL} vs 1 (at most 0.6x)`,
    a: `zfailover c${PARALLEL}`,
    b: 'zfailover c1',
    target: { op: '<=', value: 0.6 },
  },
  syncoid: {
    title: `cycle with ${CHANGED} of ${CHILDREN} datasets changed, zfailover --concurrency ${PARALLEL} vs syncoid -r (far below: 0.5x)`,
    a: `zfailover c${PARALLEL}`,
    b: 'syncoid',
    target: { op: '<=', value: 0.5 },
  },
};

/** Children changed before round `r`: every tenth, shifted by the round, so each round touches other datasets. */
const changedIn = (r) => Array.from({ length: CHILDREN }, (_, i) => i).filter((i) => (i + r) % 10 === 0);

/** rounds: {scale, scaleSyncoid}. Returns {reason} when skipped, else {version, root, children}. */
export const runScale = async (workDir, rounds) => {
  const guest = await connectGuest(workDir);
  if (guest.reason) return { reason: guest.reason };
  const name = `zfobench-${randomBytes(3).toString('hex')}`;
  const fsCount = CHILDREN - ZVOLS;
  const trees = { t1: 0, z: { children: CHILDREN, zvols: ZVOLS }, ...(rounds.scaleSyncoid > 0 ? { s: { children: CHILDREN, zvols: ZVOLS } } : {}) };
  progress(`scale (${guest.version}): creating src/${name} with ${Object.keys(trees).join(', ')} (${CHILDREN} children each, ${ZVOLS} zvols)`);
  const created = Date.now();
  await guestRoots(guest, name, trees);
  progress(`scale: trees created in ${((Date.now() - created) / 1000).toFixed(0)} s`);

  const side = (ds) => `root@127.0.0.1:${guest.port}:${ds}`;
  const config = `${workDir}/zfailover-scale.yml`;
  const stateDir = `${workDir}/state-scale`;
  writeConfig(config, {
    stateDir,
    ssh: { keyFile: guest.key, options: guest.sshOptions, controlPersist: '30m' },
    jobs: {
      tree: { source: side(`src/${name}/z`), target: side(`dst/${name}/z`), recursive: true },
      one: { source: side(`src/${name}/t1`), target: side(`dst/${name}/t1`), recursive: false },
    },
  });
  onCleanup('zfailover ssh masters (guest, scale)', () => exitMasters(`${stateDir}/ssh`));
  const par = ['--concurrency', String(PARALLEL)];

  // The child `i` of tree `t`: filesystems c000.., then zvols vm-00-disk-0..
  const pad = (n, max) => String(n).padStart(String(max).length, '0');
  const child = (t, i) => (i < fsCount ? `src/${name}/${t}/c${pad(i, fsCount - 1)}` : `src/${name}/${t}/vm-${pad(i - fsCount, ZVOLS - 1)}-disk-0`);
  const write = (t, r) => {
    const cmds = changedIn(r).map((i) =>
      i < fsCount
        ? `head -c 65536 /dev/urandom > "$(zfs get -H -o value mountpoint '${child(t, i)}')/blob"`
        : `dd if=/dev/urandom of='/dev/zvol/${child(t, i)}' bs=64k count=1 seek=${r % 100} conv=notrunc status=none`,
    );
    return guest.exec(`set -e; udevadm settle; ${cmds.join('; ')}; zpool sync src`);
  };

  progress(`scale: initial full sync of the ${CHILDREN + 1}-dataset tree at --concurrency ${PARALLEL} (untimed)`);
  const t0 = Date.now();
  for (let i = 0; i < 2; i++) {
    const z = await zfailoverSync(config, 'tree', { args: par });
    if (!z.ok) throw new Error(`initial zfailover sync of the scale tree failed: ${z.detail}`);
  }
  const one = await zfailoverSync(config, 'one');
  if (!one.ok) throw new Error(`initial zfailover sync of the 1-dataset job failed: ${one.detail}`);
  const initialSeconds = (Date.now() - t0) / 1000;
  const syncoidArgs = [
    '-r',
    ...syncoidSshArgs({ port: guest.port, keyFile: guest.key, options: guest.sshOptions }),
    `root@127.0.0.1:src/${name}/s`,
    `root@127.0.0.1:dst/${name}/s`,
  ];
  if (rounds.scaleSyncoid > 0) {
    progress('scale: initial syncoid -r of its own tree (untimed; minutes on the guest)');
    const s = await syncoid(syncoidArgs);
    if (!s.ok) throw new Error(`initial syncoid run of the scale tree failed: ${s.detail}`);
  }

  // Each changed cycle is prepared by its own writes; a no-change cycle follows a cycle that caught up.
  await interleave('scale', rounds.scale, [
    { scenario: 'parallel', tool: 'zfailover c1', prep: (r) => write('z', 2 * r), run: () => zfailoverSync(config, 'tree', { args: ['--concurrency', '1'] }) },
    { scenario: 'parallel', tool: `zfailover c${PARALLEL}`, prep: (r) => write('z', 2 * r + 1), run: () => zfailoverSync(config, 'tree', { args: par }) },
    { scenario: 'nochange', tool: 'zfailover tree', run: () => zfailoverSync(config, 'tree', { args: par }) },
    { scenario: 'nochange', tool: 'zfailover 1 dataset', run: () => zfailoverSync(config, 'one') },
  ]);
  if (rounds.scaleSyncoid > 0)
    await interleave('scale vs syncoid', rounds.scaleSyncoid, [
      { scenario: 'syncoid', tool: `zfailover c${PARALLEL}`, prep: (r) => write('z', 1000 + r), run: () => zfailoverSync(config, 'tree', { args: par }) },
      { scenario: 'syncoid', tool: 'syncoid', prep: (r) => write('s', 1000 + r), run: () => syncoid(syncoidArgs) },
    ]);
  return { version: guest.version, root: name, children: CHILDREN, zvols: ZVOLS, changed: CHANGED, parallel: PARALLEL, initialSeconds };
};

/** The scale table: each row a ratio of two contenders of the same rounds, with its target and verdict. */
export const renderScale = (result, verdicts) => {
  if (!result || result.reason) return `Scale (OpenZFS guest): skipped (${result?.reason ?? 'not run'})`;
  const sec = (d) => ({ ...d, median: d.median / 1000, min: d.min / 1000, max: d.max / 1000 });
  const rows = Object.entries(SCALE_SCENARIOS).map(([key, s]) => {
    const c = compare(key, s.a, s.b, 'wallMs', s.target);
    if (c.da.n + c.db.n > 0) verdicts.push({ what: s.title, ratio: c.ratio, target: s.target, verdict: c.verdict });
    return [
      s.title,
      `${s.a}: ${fmtStat(sec(c.da))}`,
      `${s.b}: ${fmtStat(sec(c.db))}`,
      `${fmt(c.ratio)} (${fmt(c.paired)})`,
      `${s.target.op} ${s.target.value}`,
      c.da.n + c.db.n > 0 ? c.verdict : 'not run',
    ];
  });
  return [
    `Scale on OpenZFS ${result.version} (qemu TCG guest, remote->remote through this host): 1+${result.children} datasets (${result.zvols} zvols), ${result.changed} changed per cycle; initial syncs ${fmt(result.initialSeconds, 0)} s`,
    table(['scenario', 'a s: median (min-max, n)', 'b s: median (min-max, n)', 'ratio a/b (paired)', 'target', 'verdict'], rows),
  ].join('\n');
};
