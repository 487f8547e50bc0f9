// The built `zfailover snapshot` on zfs-fuse: the zfs-auto-snapshot drop-in (one snapshot per minute however
// often it runs, --keep, -r as one atomic call, opt-out properties, replicas never touched, `//`), and the
// config form's pre/post hooks (environment, failure policy, timeout).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatPeriodicSnapshotName } from '../../src/core/names.js';
import { BIN, cliBuilt } from '../helpers/cli.js';
import { zfsFuseUnavailableReason } from '../helpers/zfs-fuse.js';
import { createLab, snapshotNames, zfs, type RetentionLab } from './retention-harness.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();
const Z = (s: string): number => Date.parse(s);

describe.skipIf(reason)(`zfs-fuse: zfailover snapshot drop-in and hooks (built bin)${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let lab: RetentionLab;
  let root: string;
  const bin = async (...args: string[]) => {
    const r = await execa(BIN, ['--state-dir', lab.stateDir, ...args], { reject: false, env: { PATH: process.env.PATH ?? '' } });
    return { code: r.exitCode, out: r.stdout, line: r.stdout.split('\n')[0] ?? '', stderr: r.stderr };
  };

  beforeAll(async () => {
    lab = await createLab('h5p');
    root = `${lab.src.name}/data`;
    await zfs('create', root);
    await zfs('create', `${root}/a`);
    await zfs('create', '-o', 'com.sun:auto-snapshot=false', `${root}/scratch`);
    await zfs('create', '-o', 'com.sun:auto-snapshot:frequent=false', `${root}/hourly-only`);
    await zfs('create', '-o', 'zfailover:role=replica', `${root}/copy`);
  });
  afterAll(async () => lab?.destroy());

  test('two runs in the same minute take one snapshot; opted-out datasets and replicas are skipped', async () => {
    const first = await bin('snapshot', '--label', 'frequent', '--keep', '3', '-r', root, '--now', '2026-11-26T04:31:10Z');
    expect(first.code, first.out).toBe(0);
    expect(first.line).toBe('OK: took 2 snapshot(s) (frequent) on 2 dataset(s) | taken=2;;;0 pruned=0;;;0 datasets=3;;;0');
    const second = await bin('snapshot', '--label', 'frequent', '--keep', '3', '-r', root, '--now', '2026-11-26T04:31:50Z');
    expect(second.line).toMatch(/^OK: nothing due on 3 dataset\(s\)/);
    const name = formatPeriodicSnapshotName('frequent', Z('2026-11-26T04:31:10Z'));
    expect(await snapshotNames(root)).toEqual([name]);
    expect(await snapshotNames(`${root}/a`)).toEqual([name]);
    for (const ds of ['scratch', 'hourly-only', 'copy']) expect(await snapshotNames(`${root}/${ds}`)).toEqual([]);
    // The same datasets with another label: hourly-only opted out of frequent only.
    const hourly = await bin('snapshot', '--label', 'hourly', '-r', root, '--now', '2026-11-26T04:31:50Z');
    expect(hourly.code).toBe(0);
    expect(await snapshotNames(`${root}/hourly-only`)).toEqual([formatPeriodicSnapshotName('hourly', Z('2026-11-26T04:31:50Z'))]);
  });

  test('--keep 3 keeps the newest three of the label, nothing else', async () => {
    for (const m of ['32', '33', '34', '35']) {
      const r = await bin('snapshot', '--label', 'frequent', '--keep', '3', '-r', root, '--now', `2026-11-26T04:${m}:00Z`);
      expect(r.code, r.out).toBe(0);
    }
    const kept = ['33', '34', '35'].map((m) => formatPeriodicSnapshotName('frequent', Z(`2026-11-26T04:${m}:00Z`)));
    // The hourly snapshot of the previous test is another label: --keep leaves it alone.
    for (const ds of [root, `${root}/a`]) expect(await snapshotNames(ds)).toEqual([formatPeriodicSnapshotName('hourly', Z('2026-11-26T04:31:50Z')), ...kept]);
  });

  test("the operator's cron line as is: '//' covers every pool (dry run: other pools here are not touched)", async () => {
    // /etc/cron.d/zfs-auto-snapshot: */5 * * * * root /sbin/zfs-auto-snapshot -q -g --label=frequent --keep=24 //
    const r = await bin('snapshot', '-q', '-g', '--label=frequent', '--keep=24', '--dry-run', '//', '--now', '2026-11-26T05:00:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`take  ${root}/a@${formatPeriodicSnapshotName('frequent', Z('2026-11-26T05:00:00Z'))}`);
    expect(r.out).toContain(`skip  ${root}/copy: a replica (zfailover:role=replica)`);
    expect(r.out).toContain(`${lab.dst.name}: 1 dataset(s)`);
  });

  test('hooks: environment, pre failure (skip or snapshot anyway), post always runs, timeout', async () => {
    const log = `${lab.dir}/hooks.log`;
    const hook = (name: string, body: string): string => {
      const file = `${lab.dir}/${name}`;
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const pre = hook(
      'pre.sh',
      `printf 'pre %s|%s|%s\\n' "$ZFAILOVER_LABELS" "$ZFAILOVER_DATASETS" "$ZFAILOVER_SNAPSHOTS" | tr '\\n' ' ' >> ${log}; echo >> ${log}; exit \${FAIL:-0}`,
    );
    const post = hook('post.sh', `echo "post $ZFAILOVER_OUTCOME pre_failed=$ZFAILOVER_PRE_FAILED" >> ${log}`);
    const failing = hook('failing.sh', 'echo "database busy" >&2; exit 4');
    const slow = hook('slow.sh', 'sleep 30');
    const config = (preHook: string, policy: string, timeout = '5s') => `
snapshots:
  - dataset: SRC/data/a
    schedules: {hourly: 5}
    hooks: {pre: [${preHook}], post: [${post}], timeout: ${timeout}, on_pre_failure: ${policy}}
`;
    lab.writeConfig(config(pre, 'skip'));
    const ok = await lab.run(['snapshot'], '2026-11-26T06:00:00Z');
    expect(ok.code, ok.out).toBe(0);
    const name = `${root}/a@${formatPeriodicSnapshotName('hourly', Z('2026-11-26T06:00:00Z'))}`;
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual([`pre hourly|${root}/a|${name} `, 'post ok pre_failed=0']);

    lab.writeConfig(config(failing, 'skip'));
    const skipped = await lab.run(['snapshot'], '2026-11-26T07:00:00Z');
    expect(skipped.code).toBe(1);
    expect(skipped.line).toMatch(/^WARNING: .*\/data\/a: pre hook failed \(exit 4: database busy\); snapshots skipped; took 0 snapshot/);
    expect(readFileSync(log, 'utf8')).toContain('post skipped pre_failed=1');
    expect(await snapshotNames(`${root}/a`)).not.toContain(formatPeriodicSnapshotName('hourly', Z('2026-11-26T07:00:00Z')));

    lab.writeConfig(config(failing, 'snapshot'));
    const anyway = await lab.run(['snapshot'], '2026-11-26T07:00:00Z');
    expect(anyway.code).toBe(1);
    expect(anyway.line).toMatch(/pre hook failed \(exit 4: database busy\); snapshots taken anyway; took 1 snapshot/);
    expect(await snapshotNames(`${root}/a`)).toContain(formatPeriodicSnapshotName('hourly', Z('2026-11-26T07:00:00Z')));

    lab.writeConfig(config(slow, 'skip', '1s'));
    const started = Date.now();
    const timedOut = await lab.run(['snapshot'], '2026-11-26T08:00:00Z');
    expect(Date.now() - started).toBeLessThan(25_000); // the hook sleeps 30 s: its 1 s timeout ended it
    expect(timedOut.line).toMatch(/pre hook failed \(.*timed out after 1s\); snapshots skipped/);
  });
});
