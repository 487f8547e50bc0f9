// Interleaved rounds: every contender of a scenario group runs once per round, in forward order on odd rounds
// and reversed on even ones, so each sees the same background load and none always runs right after another.
import { interruptedBy } from './cleanup.mjs';
import { loadavg1, progress } from './proc.mjs';
import { record } from './stats.mjs';

/**
 * entries: [{scenario, tool, run(round) -> result, prep?(round), post?(round, result), extra?(result)}].
 * Untimed prep/post (writing data, snapshots for the raw pipe) run around the timed run.
 */
export const interleave = async (label, rounds, entries) => {
  for (let r = 1; r <= rounds; r++) {
    if (interruptedBy()) return;
    const order = r % 2 === 1 ? entries : [...entries].reverse();
    for (const e of order) {
      if (interruptedBy()) return;
      if (e.prep) await e.prep(r);
      const res = await e.run(r);
      if (e.post) await e.post(r, res);
      record(e.scenario, e.tool, r, res, res.ok && e.extra ? e.extra(res) : {});
      if (!res.ok) progress(`  ${e.scenario} / ${e.tool} round ${r} FAILED: ${res.detail}`);
    }
    progress(`${label}: round ${r}/${rounds} done (load ${loadavg1()})`);
  }
};
