// `zfailover sync` run by Debian 12's own Node.js 18: the bundle chrooted in a clean debootstrap root with only
// nodejs and openssh-client (no zfs there), replicating real zfs-fuse pools of this host remote to remote through a
// private sshd on 127.0.0.1 (pinned host key), full then incremental, the replica checked by checksums and GUIDs.
// This is the data path (execa pipelines, ssh control masters, the planner) on 18, not just start-up. The root is
// built once and cached (test/helpers/debian-root.ts).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cliBuilt } from '../helpers/cli.js';
import { DEBIAN_ROOT_BUILD_MS, debianRoot, debianRootUnavailableReason, rootSession, type RootSession } from '../helpers/debian-root.js';
import { guidsOf, mountpointOf, snapshotChecksums, snapshotNames, writeRandom } from '../helpers/replica.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { createPool, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? sshdUnavailableReason() ?? cliBuilt() ?? debianRootUnavailableReason();
const APP = '/opt/zfailover';
const BINS = ['zfailover', 'check_zfs_rpo'];

describe.skipIf(reason)(`zfailover sync on Debian 12's nodejs, zfs-fuse over ssh${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let sshd: TestSshd;
  let s: RootSession;
  const host = mkdtempSync('/var/tmp/zfo-debsync-');

  beforeAll(async () => {
    s = rootSession(await debianRoot(['nodejs', 'openssh-client']));
    mkdirSync(`${host}/app/dist`, { recursive: true });
    cpSync(`${ROOT}dist/bundle`, `${host}/app/dist/bundle`, { recursive: true });
    for (const b of BINS) cpSync(`${ROOT}bin/${b}`, `${host}/app/bin/${b}`);
    writeFileSync(`${host}/app/package.json`, '{ "type": "module" }\n');
    s.put(`${host}/app`, APP);
    src = await createPool('zfodebs');
    dst = await createPool('zfodebd');
    sshd = await startSshd();
    // The client key and the pinned known_hosts, at the same paths inside the root.
    s.put(sshd.dir, sshd.dir);
  }, DEBIAN_ROOT_BUILD_MS);
  afterAll(async () => {
    await sshd?.stop();
    await src?.destroy();
    await dst?.destroy();
    s?.cleanup();
    rmSync(host, { recursive: true, force: true });
  });

  const expectReplicaEqual = async (source: string, target: string) => {
    const newest = (await snapshotNames(target)).at(-1)!;
    expect(await snapshotChecksums(`${target}@${newest}`)).toEqual(await snapshotChecksums(`${source}@${newest}`));
    expect((await guidsOf(target))[newest]).toBe((await guidsOf(source))[newest]);
  };

  it('replicates remote to remote, full then incremental, from Node 18', async () => {
    const v = await s.run(['node', '--version']);
    expect(v.stdout).toMatch(/^v18\./);
    await zfs('create', `${src.name}/data set`);
    const mnt = await mountpointOf(`${src.name}/data set`);
    await writeRandom(`${mnt}/a`, 2);
    const sync = () =>
      s.run(
        [
          `${APP}/bin/zfailover`,
          '--state-dir',
          '/var/lib/zfailover',
          'sync',
          ...sshd.cliArgs,
          sshd.side(`${src.name}/data set`),
          sshd.side(`${dst.name}/data set`),
        ],
        { timeoutMs: 300_000 },
      );
    let r = await sync();
    expect([r.code, r.stderr], r.stdout).toEqual([0, '']);
    expect(r.stdout.split('\n')[0]).toMatch(/^OK: /);
    await expectReplicaEqual(`${src.name}/data set`, `${dst.name}/data set`);
    const first = (await snapshotNames(`${dst.name}/data set`)).at(-1);
    await writeRandom(`${mnt}/b`, 1);
    r = await sync();
    expect([r.code, r.stderr], r.stdout).toEqual([0, '']);
    await expectReplicaEqual(`${src.name}/data set`, `${dst.name}/data set`);
    // A new increment arrived: the replica's newest snapshot is a later one, holding the second file.
    const newest = (await snapshotNames(`${dst.name}/data set`)).at(-1);
    expect(newest).not.toBe(first);
    expect(Object.keys(await snapshotChecksums(`${dst.name}/data set@${newest}`))).toEqual(expect.arrayContaining(['./a', './b']));
  }, 600_000);
});
