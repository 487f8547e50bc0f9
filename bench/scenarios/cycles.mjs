// No-change replication cycles on zfs-fuse, zfailover against syncoid, interleaved: 1 dataset and a 50-child
// tree, local and pulled over ssh. zfs-fuse has no `written`, so both tools snapshot and send every cycle here.
import { interleave } from '../lib/interleave.mjs';
import { nodeNothing, syncoid, zfailoverSync } from '../lib/tools.mjs';

export const CYCLE_SCENARIOS = {
  local1: { title: 'no-change cycle, 1 dataset, local (zfs-fuse)', target: { op: '<=', value: 0.5 } },
  ssh1: { title: 'no-change cycle, 1 dataset, ssh pull (zfs-fuse)', target: { op: '<=', value: 0.5 } },
  local50: { title: 'no-change cycle, 1+50 datasets, local (zfs-fuse)', target: { op: '<=', value: 0.1 } },
  ssh50: { title: 'no-change cycle, 1+50 datasets, ssh pull (zfs-fuse)', target: { op: '<=', value: 0.1 } },
};

const pair = (env, key) => [
  { scenario: key, tool: 'zfailover', run: () => zfailoverSync(env.config, key) },
  { scenario: key, tool: 'syncoid', run: () => syncoid(env.syncoidArgs(key)) },
];

/** 1 dataset, local and ssh in the same rounds, with a bare `node -e 0` as the start-up floor. */
export const runSmallCycles = (env, rounds) =>
  interleave('no-change cycles, 1 dataset', rounds, [...pair(env, 'local1'), { scenario: 'node', tool: 'node -e 0', run: nodeNothing }, ...pair(env, 'ssh1')]);

export const runTreeCycles = (env, rounds) => interleave('no-change cycles, 1+50 datasets', rounds, [...pair(env, 'local50'), ...pair(env, 'ssh50')]);
