// The zfs-fuse stage shared by the cycle and throughput scenarios: a source and a target pool, two private
// sshds (zfailover's plain one, syncoid's with the compat shim), one dataset (or tree) per tool and scenario,
// a config with one job per zfailover scenario, and the untimed initial full syncs.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { commitTxg, createPool, createTree, zfs } from '../lib/pools.mjs';
import { BASE_PATH, bash, progress } from '../lib/proc.mjs';
import { clientIdentity, exitMasters, startMaster, startSshd } from '../lib/sshd.mjs';
import { onCleanup } from '../lib/cleanup.mjs';
import { ROOT, syncoid, syncoidSshArgs, writeConfig, zfailoverSync } from '../lib/tools.mjs';

export const TREE_CHILDREN = 50;

/** Datasets per scenario: zfailover's (z*), syncoid's (s*), the raw pipe's (r*). */
const LAYOUT = {
  local1: { zfa: 'z1', syncoid: 's1' },
  ssh1: { zfa: 'zs1', syncoid: 'ss1' },
  local50: { zfa: 'z50', syncoid: 's50', children: TREE_CHILDREN },
  ssh50: { zfa: 'zs50', syncoid: 'ss50', children: TREE_CHILDREN },
  tpLocal: { zfa: 'ztp', raw: 'rtp' },
  tpSsh: { zfa: 'ztps', raw: 'rtps', rawMux: 'rmtps' },
};

/**
 * opts: {workDir, poolMiB, only: Set of scenario keys}. Returns what the scenarios use: {S, D, sshA, sshB,
 * identity, config, syncoidArgs(key), srcOf(key, tool), dstOf(key, tool), mnt(dataset), layout, rawMux (ssh
 * options that reach the raw pipe's warm master, or null)}; zfailover's job for a key is the key.
 */
export const setupFuse = async ({ workDir, poolMiB, only }) => {
  const id = randomBytes(3).toString('hex');
  const S = `zfob${id}s`;
  const D = `zfob${id}d`;
  mkdirSync(`${workDir}/mnt`, { recursive: true });
  progress(`zfs-fuse: pools ${S} and ${D} (${poolMiB} MiB sparse files in ${workDir})`);
  await createPool(S, `${workDir}/${S}.img`, poolMiB, `${workDir}/mnt`);
  await createPool(D, `${workDir}/${D}.img`, poolMiB, `${workDir}/mnt`);
  await zfs('create', `${S}/txg-flush`);
  await zfs('create', `${D}/txg-flush`);

  const identity = await clientIdentity(`${workDir}/ssh`);
  const sshA = await startSshd(workDir, 'zfailover', identity);
  const sshB = await startSshd(workDir, 'syncoid', identity, { sessionPath: `${ROOT}bench/shim-compat:${BASE_PATH}` });
  progress(`sshd for zfailover and the raw pipe on 127.0.0.1:${sshA.port} (PATH ${sshA.remotePath}); for syncoid on :${sshB.port} (PATH ${sshB.remotePath})`);

  const srcOf = (key, tool) => `${S}/${LAYOUT[key][tool]}`;
  const dstOf = (key, tool) => `${D}/${LAYOUT[key][tool]}`;
  const remoteA = (dataset) => `root@127.0.0.1:${sshA.port}:${dataset}`;
  const jobs = {};
  for (const key of Object.keys(LAYOUT)) {
    if (!only.has(key)) continue;
    const L = LAYOUT[key];
    const src = `${S}/${L.zfa}`;
    const dst = `${D}/${L.zfa}`;
    jobs[key] = {
      source: key === 'ssh1' || key === 'ssh50' ? remoteA(src) : src,
      target: key === 'tpSsh' ? remoteA(dst) : dst,
      recursive: L.children > 0,
    };
  }
  const config = `${workDir}/zfailover.yml`;
  // In production a 15 s cycle keeps zfailover's ssh master warm; here syncoid's runs between two zfailover
  // runs of a scenario can outlast the default 60 s, so the master is kept long enough to span them.
  writeConfig(config, { stateDir: `${workDir}/state`, ssh: { keyFile: identity.keyFile, options: identity.sshOptions, controlPersist: '10m' }, jobs });
  onCleanup('zfailover ssh masters (zfs-fuse)', () => exitMasters(`${workDir}/state/ssh`));

  const syncoidSsh = syncoidSshArgs({ port: sshB.port, keyFile: identity.keyFile, options: identity.sshOptions });
  const syncoidArgs = (key) => {
    const L = LAYOUT[key];
    const src = `${S}/${L.syncoid}`;
    const dst = `${D}/${L.syncoid}`;
    const remote = key === 'ssh1' || key === 'ssh50';
    return [...(L.children ? ['-r'] : []), ...(remote ? [...syncoidSsh, `root@127.0.0.1:${src}`] : [src]), dst];
  };

  for (const key of Object.keys(LAYOUT)) {
    if (!only.has(key)) continue;
    const L = LAYOUT[key];
    progress(`zfs-fuse: creating ${key} datasets${L.children ? ` (trees of 1 + ${L.children})` : ''}`);
    for (const tool of ['zfa', 'syncoid', 'raw', 'rawMux']) if (L[tool]) await createTree(`${S}/${L[tool]}`, L.children ?? 0);
  }
  await commitTxg(S);

  // Untimed: the initial full sync. zfailover gets one more cycle (its first after a full sync places the
  // cursor and hold); syncoid's next run is already its steady incremental one.
  for (const key of Object.keys(LAYOUT)) {
    if (!only.has(key)) continue;
    const L = LAYOUT[key];
    progress(`zfs-fuse: initial sync of ${key}`);
    for (let i = 0; i < 2; i++) {
      const z = await zfailoverSync(config, key);
      if (!z.ok) throw new Error(`initial zfailover sync of ${key} failed: ${z.detail}`);
    }
    if (L.syncoid) {
      const s = await syncoid(syncoidArgs(key));
      if (!s.ok) throw new Error(`initial syncoid run of ${key} failed: ${s.detail}`);
    }
    for (const name of [L.raw, L.rawMux].filter(Boolean)) {
      await zfs('snapshot', `${S}/${name}@b0`);
      const r = await rawFull(`${S}/${name}@b0`, `${D}/${name}`);
      if (!r.ok) throw new Error(`initial raw send of ${key} failed: ${r.detail}`);
    }
  }
  // The raw pipe's own warm master (an informative contender: the same path as zfailover's multiplexed pipe).
  const muxPath = `${workDir}/raw-mux`;
  const rawMux = (await startMaster('raw pipe', sshA.sshArgv(), muxPath)) ? ['-o', 'ControlMaster=no', '-o', `ControlPath=${muxPath}`] : null;
  const mnt = (dataset) => `${workDir}/mnt/${dataset}`;
  return { S, D, sshA, sshB, identity, config, syncoidArgs, srcOf, dstOf, mnt, layout: LAYOUT, rawMux };
};

const rawFull = async (snap, target) => {
  const r = await bash('zfs send "$1" | zfs recv "$2"', [snap, target], { cpu: false });
  return { ok: r.code === 0, detail: r.stderr.trim() };
};
