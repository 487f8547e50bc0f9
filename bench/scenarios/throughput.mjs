// Throughput of an incremental of fresh random data (300 MiB by default), zfailover against the raw pipe an
// operator would type: `zfs send -I a b | zfs recv` locally, `zfs send -I a b | ssh host zfs recv` over ssh (a
// push, as zfailover's job). The data is written and committed before each run, untimed, for both contenders;
// the raw pipe's snapshot is taken untimed too, while zfailover's own snapshot is part of its cycle.
import { interleave } from '../lib/interleave.mjs';
import { commitTxg, destroyRetry, writeRandom, zfs } from '../lib/pools.mjs';
import { rawPipe, transferSteps, zfailoverSync } from '../lib/tools.mjs';

export const THROUGHPUT_SCENARIOS = {
  tpLocal: { title: 'incremental throughput, local (zfs-fuse)', target: { op: '>=', value: 0.95 } },
  tpSsh: { title: 'incremental throughput, ssh push (zfs-fuse)', target: { op: '>=', value: 0.95 } },
};

export const MUX_TOOL = 'raw pipe, warm ssh master';
const rate = (mib, ms) => (ms > 0 ? mib / (ms / 1000) : NaN);

/** The raw pipe's contender: its own dataset pair, snapshots b0, b1, ... taken untimed before each run. */
const rawEntry = (key, tool, src, dst, file, mib, sshArgv) => {
  let common = 0; // the newest snapshot on both sides: b<common>
  return {
    scenario: key,
    tool,
    prep: async (round) => {
      await writeRandom(file, mib);
      await zfs('snapshot', `${src}@b${round}`); // a sync task: commits the data too
    },
    run: (round) => rawPipe(`${src}@b${common}`, `${src}@b${round}`, dst, sshArgv),
    post: async (round, r) => {
      if (!r.ok) return; // the next round sends -I from the last common snapshot, over both
      for (const ds of [src, dst]) await destroyRetry(`${ds}@b${common}`);
      common = round;
    },
    extra: (r) => ({ rateMiBs: rate(mib, r.wallMs), dataMs: r.wallMs, dataRateMiBs: rate(mib, r.wallMs), commands: [r.display] }),
  };
};

export const runThroughput = async (env, rounds, mib) => {
  const entries = [];
  for (const key of Object.keys(THROUGHPUT_SCENARIOS)) {
    const zfile = `${env.mnt(env.srcOf(key, 'zfa'))}/big`;
    const raw = (tool, name, sshArgv) => rawEntry(key, tool, `${env.S}/${name}`, `${env.D}/${name}`, `${env.mnt(`${env.S}/${name}`)}/big`, mib, sshArgv);
    entries.push(
      {
        scenario: key,
        tool: 'zfailover',
        prep: async () => {
          await writeRandom(zfile, mib);
          await commitTxg(env.S);
        },
        run: () => zfailoverSync(env.config, key, { json: true }),
        extra: (r) => {
          const t = transferSteps(r.report);
          return { rateMiBs: rate(mib, r.wallMs), dataMs: t.durationMs, dataRateMiBs: rate(mib, t.durationMs), streamBytes: t.bytes, commands: t.commands };
        },
      },
      raw('raw pipe', env.layout[key].raw, key === 'tpSsh' ? env.sshA.sshArgv() : null),
    );
    // For reading the ssh result: the same raw pipe through a warm ControlMaster, as zfailover's pipe runs.
    if (key === 'tpSsh' && env.rawMux) entries.push(raw(MUX_TOOL, env.layout[key].rawMux, env.sshA.sshArgv(env.rawMux)));
  }
  await interleave(`throughput (${mib} MiB incremental)`, rounds, entries);
};
