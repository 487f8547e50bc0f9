// The shipped example config is valid and describes the operator setup: pull server1:vol1/data into vol2/data.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/loader.js';
import { resolveAllJobs, resolveStateDir } from '../../../src/config/resolve.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/zfailover.yml', import.meta.url));

describe('examples/zfailover.yml', () => {
  test('loads and resolves to the pull job from server1', async () => {
    const loaded = await loadConfig(EXAMPLE);
    const stateDir = resolveStateDir(undefined, loaded);
    expect(stateDir).toBe('/var/lib/zfailover');
    const jobs = resolveAllJobs(loaded, { stateDir });
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job).toMatchObject({
      id: 'data',
      adhoc: false,
      source: { host: { user: 'root', host: 'server1' }, dataset: 'vol1/data' },
      targets: [{ id: 'standby', side: { host: null, dataset: 'vol2/data' } }],
      recursive: false,
      syncSnapshot: true,
      deadline: 60,
      resume: true,
      bookmarks: true,
      holds: true,
      rollbackTarget: false,
      send: { raw: 'auto', compressed: true, largeBlocks: true, embedded: true },
      transport: { compress: 'none', mbuffer: false, mbufferSize: 16 * 1024 * 1024, bwlimit: null },
      ssh: {
        key: '/root/.ssh/id_ed25519',
        port: 22,
        options: ['UserKnownHostsFile=/etc/zfailover/known_hosts'],
        controlDir: '/var/lib/zfailover/ssh',
        controlPersist: 60,
        connectTimeout: 10,
      },
    });
    expect(loaded.data.log).toEqual({ file: '/var/log/zfailover/zfailover.log', level: 'info' });
  });
});
