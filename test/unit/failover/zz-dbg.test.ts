import { it } from 'vitest';
import { World } from './world.js';
import { runDemoteFlow } from '../../../src/actions/demote/flow.js';
import { runPromoteFlow } from '../../../src/actions/promote/flow.js';
import { demoteEnv, promoteEnv, Fuse } from './model-envs.js';
const dump = (w: World, s: 'A' | 'B') => { for (const d of w.sites[s].datasets.values()) console.log(s, d.name, d.origin, d.snaps.map((x) => x.name + ':' + x.guid).join(' '), [...d.live].join(','), JSON.stringify([...d.props])); };
it('dbg', async () => {
  const w = new World({ A: false, B: false });
  const rec = { promote: {}, demote: {} } as any;
  w.write('A'); w.sync('A', 'B'); w.tick();
  console.log(w.sync('B', 'A')); w.tick();
  try { const r = await runDemoteFlow(demoteEnv(w, 'B', rec, new Fuse(7)), { dryRun: false, syncCommand: 's', command: 'c' }); console.log(r.summary); } catch (e) { console.log('crash', String(e)); }
  dump(w, 'B'); w.tick();
  try { const r = await runPromoteFlow(promoteEnv(w, 'B', rec, new Fuse(6)), { mode: 'planned', maxLag: null, acceptTree: false, command: 'p', demoteCommand: 'd', dryRun: false, interrupted: false }); console.log(r.summary, r.steps); } catch (e) { console.log('crash', String(e)); }
  dump(w, 'A'); dump(w, 'B');
});
