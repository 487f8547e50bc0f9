// Alerts from real sync runs (zfs-fuse, the built bin, a config with email and SNMP): a job that goes
// OK -> CRITICAL -> CRITICAL -> OK sends exactly two messages per channel, with the checks run every cycle too; with SMTP down during the failure the
// alert arrives on a later run, and the replication's exit codes are the same as without alerting.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { paste } from '../helpers/printed.js';
import { mountpointOf } from '../helpers/replica.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { snmptrapdUnavailableReason, startSnmptrapd, type TestTrapd } from '../helpers/snmptrapd.js';
import { createPool, TEST_ROOT, uniqueName, zfs, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? snmptrapdUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: sync raises alerts on state changes${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let smtp: SmtpSink;
  let trapd: TestTrapd;
  let dir: string;

  beforeAll(async () => {
    src = await createPool('zfoals');
    dst = await createPool('zfoald');
    smtp = await startSmtpSink();
    trapd = await startSnmptrapd({ communities: ['zfo-test'] });
    dir = `${TEST_ROOT}/${uniqueName('alerts-')}`;
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await smtp?.close();
    await trapd?.stop();
    await src?.destroy();
    await dst?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (job: string, source: string, target: string) => {
    const file = `${dir}/${job}.yml`;
    writeFileSync(
      file,
      [
        `state_dir: ${dir}/state-${job}`,
        'jobs:',
        `  ${job}:`,
        `    source: ${source}`,
        `    targets: [${target}]`,
        'alerts:',
        '  email:',
        '    host: 127.0.0.1',
        `    port: ${smtp.port}`,
        '    secure: none',
        '    from: zfailover@host-a.test',
        '    to: ops@example.test',
        '    timeout: 2s',
        '  snmp:',
        '    receivers:',
        `      - { name: nms, host: 127.0.0.1, port: ${trapd.port}, version: 2c, community: zfo-test, mode: inform, timeout: 1s, retries: 0 }`,
        '',
      ].join('\n'),
    );
    chmodSync(file, 0o600);
    return file;
  };
  /** Make the replica conflict (modified); the trap's zfCommand heals it. */
  const modifyTarget = async (target: string) => {
    await zfs('set', 'readonly=off', target);
    await zfs('mount', target);
    writeFileSync(`${await mountpointOf(target)}/oops`, 'x\n');
    await zfs('umount', target);
  };
  const mailsFor = (job: string) => smtp.messages.filter((m) => m.mail.subject?.includes(` ${job} `));
  const trapsFor = (job: string) => trapd.traps.filter((t) => t.get('ZFAILOVER-MIB::zfJob.0')?.includes(job));

  it('OK -> CRITICAL -> CRITICAL -> OK: exactly two messages per channel, exit codes unchanged', async () => {
    await zfs('create', `${src.name}/a`);
    const cfg = config('flip', `${src.name}/a`, `${dst.name}/a`);
    // Each cycle, as in the incident of issue 14: the sync (the alert producer), then the checks Monit or
    // Nagios run, and a person's `check job -w 1s`. The checks add no zfailover message of their own.
    const run = async () => {
      const r = await runCli(['--config', cfg, 'sync', '--job', 'flip']);
      for (const check of [['rpo'], ['divergence'], ['job'], ['job', '-w', '1s']]) {
        expect((await runCli(['--config', cfg, 'check', check[0]!, '--job', 'flip', ...check.slice(1)])).stderr).toBe('');
      }
      return r;
    };
    expect((await run()).code).toBe(0);
    await modifyTarget(`${dst.name}/a`);
    writeFileSync(`${await mountpointOf(`${src.name}/a`)}/f`, '1\n');
    expect((await run()).code).toBe(2);
    expect((await run()).code).toBe(2);
    // The trap's zfCommand, as snmptrapd received it, is what heals the replica (execute what we print).
    await trapd.waitFor(1, 5000);
    const command = trapsFor('flip')[0]!.get('ZFAILOVER-MIB::zfCommand.0')!;
    expect(command).toMatch(/ sync --job flip --rollback-target/);
    await paste(command);
    expect((await run()).code).toBe(0);
    await smtp.waitFor(2, 5000);
    await trapd.waitFor(2, 5000);
    const mails = mailsFor('flip');
    expect(mails.map((m) => m.mail.subject)).toEqual([
      expect.stringMatching(/^\[zfailover\] CRITICAL .* flip .*target-modified/),
      expect.stringMatching(/^\[zfailover\] OK .* flip /),
    ]);
    expect(mails[0]!.mail.text).toMatch(/--rollback-target/); // the command that resolves it
    const traps = trapsFor('flip');
    expect(traps.map((t) => t.get('ZFAILOVER-MIB::zfState.0'))).toEqual([expect.stringMatching(/critical/), expect.stringMatching(/ok/)]);
    // The first problem of this key had nothing notified before; the recovery follows the critical one.
    expect(traps.map((t) => t.get('ZFAILOVER-MIB::zfPreviousState.0'))).toEqual([expect.stringMatching(/none/), expect.stringMatching(/critical/)]);
    // The source root is the primary of epoch 0 (sync marks it): 0, not "unknown" (-1).
    expect(traps.map((t) => t.get('ZFAILOVER-MIB::zfEpoch.0'))).toEqual(['0', '0']);
  });

  it('promote and demote refusals: the trap carries the epoch the refused dataset has (0 unmarked, -1 when it cannot be listed)', async () => {
    // The inform was acknowledged before the run ended; snmptrapd's log may lag a little behind it.
    const trapOf = async (job: string, source: string) => {
      const mine = () => trapd.traps.filter((t) => t.get('ZFAILOVER-MIB::zfJob.0') === job && t.get('ZFAILOVER-MIB::zfSource.0') === source);
      for (let i = 0; i < 200 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(mine()).toHaveLength(1);
      return mine()[0]!;
    };
    // Promote --takeover while the primary answers: refused; the replica was synced once (epoch 0, set by sync).
    await zfs('create', `${src.name}/p`);
    const p = config('prefuse', `${src.name}/p`, `${dst.name}/p`);
    expect((await runCli(['--config', p, 'sync', '--job', 'prefuse'])).code).toBe(0);
    const promote = await runCli(['--config', p, 'promote', '--job', 'prefuse', '--takeover', '--force']);
    expect(promote.code, promote.stdout).toBe(2);
    expect(promote.line).toMatch(/^CRITICAL: refused: primary .* answers/);
    const pt = await trapOf('prefuse', 'promote');
    expect(pt.get('ZFAILOVER-MIB::zfConflict.0')).toBe('unsafe');
    expect(pt.get('ZFAILOVER-MIB::zfDataset.0')).toBe(`${dst.name}/p`);
    expect(pt.get('ZFAILOVER-MIB::zfEpoch.0')).toBe('0');

    // Demote against a "primary" that is marked a replica: refused; the side to demote is unmarked (epoch 0).
    await zfs('create', `${src.name}/d`);
    await zfs('snapshot', `${src.name}/d@one`);
    await zfs('set', 'zfailover:role=replica', `${src.name}/d`);
    await zfs('create', `${dst.name}/d`);
    await zfs('snapshot', `${dst.name}/d@other`);
    const d = config('drefuse', `${src.name}/d`, `${dst.name}/d`);
    const demote = await runCli(['--config', d, 'demote', '--job', 'drefuse']);
    expect(demote.code, demote.stdout).toBe(2);
    expect(demote.line).toMatch(/^CRITICAL: refused: .*is not primary/);
    const dt = await trapOf('drefuse', 'demote');
    expect(dt.get('ZFAILOVER-MIB::zfConflict.0')).toBe('source-not-primary');
    expect(dt.get('ZFAILOVER-MIB::zfEpoch.0')).toBe('0');

    // A replica that does not exist has no epoch to read: the MIB's "not known" (-1).
    const g = config('pgone', `${src.name}/p`, `${dst.name}/nowhere`);
    const gone = await runCli(['--config', g, 'promote', '--job', 'pgone', '--takeover', '--force']);
    expect(gone.code, gone.stdout).toBe(2);
    const gt = await trapOf('pgone', 'promote');
    expect(gt.get('ZFAILOVER-MIB::zfEpoch.0')).toBe('-1');
  });

  it('SMTP down during the failure: the alert arrives on a later run, replication unaffected', async () => {
    await zfs('create', `${src.name}/b`);
    const cfg = config('outage', `${src.name}/b`, `${dst.name}/b`);
    const run = () => runCli(['--config', cfg, 'sync', '--job', 'outage']);
    expect((await run()).code).toBe(0);
    await smtp.stop();
    await modifyTarget(`${dst.name}/b`);
    writeFileSync(`${await mountpointOf(`${src.name}/b`)}/f`, '1\n');
    const failing = await run();
    expect(failing.code).toBe(2);
    expect(failing.line).toMatch(/^CRITICAL: .*target-modified/);
    expect(mailsFor('outage')).toHaveLength(0);
    await smtp.start();
    expect((await run()).code).toBe(2); // still failing: no new problem, but the queued one goes out now
    await smtp.waitFor(1, 5000);
    expect(mailsFor('outage').map((m) => m.mail.subject)).toEqual([expect.stringMatching(/CRITICAL .* outage .*target-modified/)]);
  });
});
