// Processes per no-change cycle, both tools, as baseline.md counted them for syncoid (45 execs local, 1 dataset):
// strace on the tool's process tree, plus the private sshd's side for the ssh scenarios.
import { progress } from '../lib/proc.mjs';
import { attachRemote, straceLocal, summarize } from '../lib/spawns.mjs';
import { syncoid, zfailoverSync } from '../lib/tools.mjs';

/** keys: scenario keys to count (local1, ssh1, local50...). Returns {key: {zfailover: {...}, syncoid: {...}}}. */
export const countProcesses = async (env, keys, workDir) => {
  const out = {};
  for (const key of keys) {
    out[key] = {};
    const remote = key.startsWith('ssh');
    const tools = {
      zfailover: { run: (prefix) => zfailoverSync(env.config, key, { prefix }), sshd: env.sshA },
      syncoid: { run: (prefix) => syncoid(env.syncoidArgs(key), { prefix }), sshd: env.sshB },
    };
    for (const [tool, t] of Object.entries(tools)) {
      progress(`process count: ${key} / ${tool}`);
      // Untimed warm-up: steady state, and zfailover's ssh master up (a master started under strace -f would
      // keep strace waiting for its ControlPersist).
      await t.run([]);
      const stop = remote ? await attachRemote(t.sshd.pid, `${workDir}/remote-${key}-${tool}.strace`) : null;
      const localFile = `${workDir}/local-${key}-${tool}.strace`;
      const r = await t.run(straceLocal(localFile));
      const remoteFile = stop ? await stop() : null;
      out[key][tool] = { ok: r.ok, local: summarize(localFile), remote: remoteFile ? summarize(remoteFile) : null, ...(r.ok ? {} : { error: r.detail }) };
    }
  }
  return out;
};
