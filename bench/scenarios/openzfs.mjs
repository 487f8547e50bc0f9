// No-change cycles on real OpenZFS 2.3 (the qemu guest), zfailover against syncoid, both remote to remote
// through this host. There zfailover reads `written` and, when nothing changed, lists each side once and stops;
// syncoid snapshots, sends and prunes every cycle. The guest is TCG-emulated (each zfs call ~0.1 s, an ssh key
// exchange seconds), so the data is tiny and the rounds few.
import { randomBytes } from 'node:crypto';
import { connectGuest, guestRoots } from '../lib/guest.mjs';
import { interleave } from '../lib/interleave.mjs';
import { onCleanup } from '../lib/cleanup.mjs';
import { progress } from '../lib/proc.mjs';
import { exitMasters } from '../lib/sshd.mjs';
import { straceLocal, summarize } from '../lib/spawns.mjs';
import { syncoid, syncoidSshArgs, writeConfig, zfailoverSync } from '../lib/tools.mjs';

export const OPENZFS_SCENARIOS = {
  oz1: { title: 'no-change cycle, 1 dataset, remote->remote (OpenZFS 2.3 guest)', target: { op: '<=', value: 0.5 } },
  oz50: { title: 'no-change cycle, 1+50 datasets, remote->remote (OpenZFS 2.3 guest)', target: { op: '<=', value: 0.1 } },
};

/** rounds: {oz1, oz50}. Returns {reason} when skipped, else {version, root}. */
export const runOpenzfs = async (workDir, rounds) => {
  const guest = await connectGuest(workDir);
  if (guest.reason) return { reason: guest.reason };
  const name = `zfobench-${randomBytes(3).toString('hex')}`;
  const keys = Object.keys(rounds).filter((k) => rounds[k] > 0);
  const trees = {};
  for (const k of keys) {
    const n = k === 'oz50' ? 50 : 0;
    trees[`z${n || 1}`] = n;
    trees[`s${n || 1}`] = n;
  }
  progress(`OpenZFS guest (${guest.version}): creating src/${name} and dst/${name} with ${Object.keys(trees).join(', ')}`);
  await guestRoots(guest, name, trees);

  const side = (ds) => `root@127.0.0.1:${guest.port}:${ds}`;
  const tree = (k) => (k === 'oz50' ? '50' : '1');
  const jobs = {};
  for (const k of keys) jobs[k] = { source: side(`src/${name}/z${tree(k)}`), target: side(`dst/${name}/z${tree(k)}`), recursive: k === 'oz50' };
  const config = `${workDir}/zfailover-openzfs.yml`;
  const stateDir = `${workDir}/state-openzfs`;
  writeConfig(config, { stateDir, ssh: { keyFile: guest.key, options: guest.sshOptions, controlPersist: '30m' }, jobs });
  onCleanup('zfailover ssh masters (guest)', () => exitMasters(`${stateDir}/ssh`));
  const sshArgs = syncoidSshArgs({ port: guest.port, keyFile: guest.key, options: guest.sshOptions });
  const syncoidArgs = (k) => [...(k === 'oz50' ? ['-r'] : []), ...sshArgs, `root@127.0.0.1:src/${name}/s${tree(k)}`, `root@127.0.0.1:dst/${name}/s${tree(k)}`];

  for (const k of keys) {
    progress(`OpenZFS: initial sync of ${k} (untimed${k === 'oz50' ? '; syncoid needs minutes for a tree here' : ''})`);
    for (let i = 0; i < 2; i++) {
      const z = await zfailoverSync(config, k);
      if (!z.ok) throw new Error(`initial zfailover sync of ${k} on the guest failed: ${z.detail}`);
    }
    const s = await syncoid(syncoidArgs(k));
    if (!s.ok) throw new Error(`initial syncoid run of ${k} on the guest failed: ${s.detail}`);
  }
  const processes = {};
  for (const k of keys) {
    await interleave(`OpenZFS ${k}`, rounds[k], [
      { scenario: k, tool: 'zfailover', run: () => zfailoverSync(config, k) },
      { scenario: k, tool: 'syncoid', run: () => syncoid(syncoidArgs(k)) },
    ]);
    // What zfailover's no-change cycle does here, from this host's side (syncoid's tree run takes minutes).
    const file = `${workDir}/oz-${k}.strace`;
    const r = await zfailoverSync(config, k, { prefix: straceLocal(file) });
    processes[k] = { zfailover: { ok: r.ok, local: summarize(file), remote: null, ...(r.ok ? {} : { error: r.detail }) } };
  }
  return { version: guest.version, root: name, processes };
};
