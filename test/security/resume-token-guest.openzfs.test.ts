// Issue 12 item 3 end to end on real OpenZFS 2.3 (qemu guest): a replica whose partial receive asks for another
// stream than the job's (here a compressed stream, `compressok`, of a job configured `send.compressed: false`,
// made by hand on the replica as a compromised one would) gets its token refused: one WARNING line naming the
// reason, the partial receive aborted, no `zfs send -t` run, and the job's own increment sent instead. The next
// run is OK.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { optionLetters } from '../helpers/printed.js';
import { openzfsGuest, skipNote, type GuestRoots, type OpenzfsGuest } from '../helpers/openzfs.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const g = await openzfsGuest();
const built = cliBuilt();
const reason = g.reason ?? built ?? undefined;

interface JsonReport {
  report: { targets: { datasets: { state: string; message?: string; steps: { kind: string; command: string }[] }[] }[] };
}

describe.skipIf(reason)(`openzfs: a hostile resume token is refused${g.reason ? skipNote(g) : built ? ` (skipped: ${built})` : ''}`, () => {
  const guest = g as OpenzfsGuest;
  let roots: GuestRoots;
  let stateDir: string;
  let config: string;
  const gx = (cmd: string) => guest.exec(cmd);
  const sync = (extra: string[] = []) => runCli(['--config', config, 'sync', ...guest.cliArgs, ...extra, '--job', 'rt'], { timeoutMs: 300_000 });

  beforeAll(async () => {
    roots = await guest.uniqueRoots('rtok', { dstProps: { mountpoint: 'none' } });
    const dir = `${TEST_ROOT}/${uniqueName('rtok-')}`;
    stateDir = `${dir}/state`;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    config = `${dir}/zfailover.yml`;
    const job = `jobs:\n  rt:\n    source: ${guest.side(`${roots.src}/rt`)}\n    targets: [${guest.side(`${roots.dst}/rt`)}]\n    send: { compressed: false }\n`;
    writeFileSync(config, `version: 1\nstate_dir: ${stateDir}\n${job}`, { mode: 0o600 });
  });
  afterAll(async () => {
    await roots?.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses a compressed-stream token for a job that sends uncompressed: WARNING, aborted, nothing sent from it', async () => {
    const src = `${roots.src}/rt`;
    const dst = `${roots.dst}/rt`;
    await gx(`zfs create ${src} && head -c 65536 /dev/urandom > /${src}/a`);
    const first = await sync();
    expect(first.code, first.stdout).toBe(0);

    // The compromised replica: a partial receive of a compressed (-c) increment, cut after 1 MiB of a 3 MiB stream.
    await gx(`head -c 3145728 /dev/urandom > /${src}/b && zfs snapshot ${src}@later`);
    const common = (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 ${dst} | tail -n 1`)).trim().split('@')[1]!;
    await guest.run(`zfs send -c -i @${common} ${src}@later | head -c 1048576 | zfs receive -s ${dst}`);
    const token = (await gx(`zfs get -H -o value receive_resume_token ${dst}`)).trim();
    expect(token, 'precondition: the cut receive left a resume token').not.toBe('-');
    expect(await gx(`zfs send -nvt ${token} 2>&1`), 'precondition: the token asks for a compressed stream').toMatch(/compressok/);

    const r = await sync(['--json']);
    const report = JSON.parse(r.stdout) as JsonReport;
    const ds = report.report.targets[0]!.datasets[0]!;
    expect(r.code, r.stdout).toBe(1);
    expect(ds.state).toBe('WARNING');
    expect(ds.message).toBe('resume token asks for a stream flag the job does not use (compressok); partial receive aborted, nothing sent from it');
    // Nothing was sent from the token: the partial receive aborted, then the job's own plain increment.
    expect(ds.steps.map((s) => s.kind)).toEqual(['abort-resume', 'incremental']);
    expect(
      ds.steps.some((s) => s.command.includes('zfs send ') && optionLetters(s.command, 'zfs send').has('t')),
      JSON.stringify(ds.steps),
    ).toBe(false);
    expect([...optionLetters(ds.steps[1]!.command, 'zfs send')]).not.toContain('c');
    expect((await gx(`zfs get -H -o value receive_resume_token ${dst}`)).trim()).toBe('-');
    const guid = async (ds: string) => (await gx(`zfs list -H -p -o guid -t snapshot -s createtxg -d 1 ${ds} | tail -n 1`)).trim();
    expect(await guid(dst)).toBe(await guid(src));

    // The status line an operator (or Monit) sees: one line, the reason in it.
    const line = await sync();
    expect(line.code, line.stdout).toBe(0);
    expect(line.line).toMatch(/^OK: /);
  }, 900_000);

  it('the status line of a refusal is one line with the reason', async () => {
    const src = `${roots.src}/rt`;
    const dst = `${roots.dst}/rt`;
    await gx(`head -c 3145728 /dev/urandom > /${src}/c && zfs snapshot ${src}@again`);
    const common = (await gx(`zfs list -H -o name -t snapshot -s createtxg -d 1 ${dst} | tail -n 1`)).trim().split('@')[1]!;
    await guest.run(`zfs send -c -i @${common} ${src}@again | head -c 1048576 | zfs receive -s ${dst}`);
    expect((await gx(`zfs get -H -o value receive_resume_token ${dst}`)).trim()).not.toBe('-');
    const r = await sync();
    expect(r.code, r.stdout).toBe(1);
    // The reason leads (the line is clipped at 170 characters before the duration and perfdata).
    expect(r.line).toMatch(/^WARNING: \S+ to \S+ resume token asks for a stream flag the job does not use \(compressok\)/);
    expect(r.line.split(' | ')[0]!.length).toBeLessThanOrEqual(200);
  }, 900_000);
});
