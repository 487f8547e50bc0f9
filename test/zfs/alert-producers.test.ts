// Who alerts (docs/parts/alerts.md, "Who alerts"): a check run with `alerts:` configured sends nothing of
// zfailover's own (its caller notifies), whatever its result; with `checks.send_alerts: true` it raises alerts
// once per change through the same book as sync: CRITICAL, CRITICAL, OK gives one problem and one recovery
// mail. Real SMTP server (smtp-server + mailparser), real zfs-fuse pool, the built bin; exit codes unchanged.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, ROOT, runCli } from '../helpers/cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { createPool, TEST_ROOT, uniqueName, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: check runs and zfailover's own alerts${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let smtp: SmtpSink;
  let dir: string;
  beforeAll(async () => {
    pool = await createPool('zfoalp');
    smtp = await startSmtpSink();
    dir = `${TEST_ROOT}/${uniqueName('alp-')}`;
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await smtp?.close();
    await pool?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  // `@0:100` alerts inside 0..100 %: always; `100` alerts only above 100 %: never. The thresholds come from
  // the config, so every run has the same alert key (a -w/-c on the command line makes its own key).
  const config = (name: string, critical: string, sendAlerts: boolean | null): string => {
    const cfg = `${dir}/${name}.yml`;
    writeFileSync(
      cfg,
      `state_dir: ${dir}/state-${name}\n` +
        `alerts:\n  email: {host: 127.0.0.1, port: ${smtp.port}, secure: none, from: z@a.test, to: ops-${name}@a.test, timeout: 2s}\n` +
        `checks:\n  capacity: {warning: '${critical}', critical: '${critical}'}\n` +
        (sendAlerts === null ? '' : `  send_alerts: ${sendAlerts}\n`),
      { mode: 0o600 },
    );
    return cfg;
  };
  const mailsTo = (name: string) => smtp.messages.filter((m) => m.rcptTo.includes(`ops-${name}@a.test`));

  it('without checks.send_alerts (default, or false) a check run sends nothing and keeps no alert memory', async () => {
    for (const [name, send] of [
      ['default', null],
      ['off', false],
    ] as const) {
      for (const crit of ['@0:100', '@0:100', '100']) {
        const r = await runCli(['--config', config(name, crit, send), 'check', 'capacity', pool.name]);
        expect(r.code, r.stdout).toBe(crit === '100' ? 0 : 2);
        expect(r.stderr).toBe('');
      }
      // A plugin run returns after its delivery attempt: nothing can still be on its way.
      expect(mailsTo(name)).toEqual([]);
      expect(existsSync(`${dir}/state-${name}/alerts`) ? readdirSync(`${dir}/state-${name}/alerts`) : []).toEqual([]);
    }
    // The plugin executable and the rpo fast path (no job configured: UNKNOWN) are no different.
    const r = await runCli(['--config', config('default', '@0:100', null), '--job', 'nope'], { bin: `${ROOT}bin/check_zfs_rpo` });
    expect(r.code).toBe(3);
    expect(mailsTo('default')).toEqual([]);
  });

  it('with checks.send_alerts: true, CRITICAL, CRITICAL, OK gives one problem mail and one recovery mail', async () => {
    const capacity = (crit: string) => runCli(['--config', config('on', crit, true), 'check', 'capacity', pool.name]);
    expect((await capacity('@0:100')).code).toBe(2);
    expect((await capacity('@0:100')).code).toBe(2);
    expect((await capacity('100')).code).toBe(0);
    const subjects = mailsTo('on').map((m) => m.mail.subject ?? '');
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toMatch(/^\[zfailover\] CRITICAL /);
    expect(subjects[1]).toMatch(/^\[zfailover\] OK /);
  });

  it('with checks.send_alerts: true, a caller with its own -w/-c keeps its own alert memory', async () => {
    const cfg = config('keys', '100', true);
    // A person's `-w/-c @0:100` run (CRITICAL) and the monitoring system's run with the config's thresholds
    // (OK): two keys. Sharing one, the OK run would mail a recovery right after the problem (and the next
    // CRITICAL a problem again: the fight that ended in FLAPPING).
    expect((await runCli(['--config', cfg, 'check', 'capacity', '-w', '@0:100', '-c', '@0:100', pool.name])).code).toBe(2);
    expect((await runCli(['--config', cfg, 'check', 'capacity', pool.name])).code).toBe(0);
    expect((await runCli(['--config', cfg, 'check', 'capacity', '-w', '@0:100', '-c', '@0:100', pool.name])).code).toBe(2);
    const mails = mailsTo('keys');
    expect(mails.map((m) => m.mail.subject ?? '')).toEqual([expect.stringMatching(/^\[zfailover\] CRITICAL /)]);
    expect(mails[0]?.mail.headers.get('x-zfailover-kind')).toBe('check-capacity -w @100 -c @100');
  });
});
