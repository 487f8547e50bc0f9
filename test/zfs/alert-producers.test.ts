// Checks, snapshot and prune raise alerts too (once per change, through the same book as sync): a capacity
// check that turns CRITICAL mails once over repeated runs, and a recovery when it clears; exit codes unchanged.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { createPool, TEST_ROOT, uniqueName, zfsFuseUnavailableReason, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? cliBuilt();

describe.skipIf(reason)(`zfs-fuse: check results raise alerts once per change${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pool: TestPool;
  let smtp: SmtpSink;
  let dir: string;
  let cfg: string;
  beforeAll(async () => {
    pool = await createPool('zfoalp');
    smtp = await startSmtpSink();
    dir = `${TEST_ROOT}/${uniqueName('alp-')}`;
    mkdirSync(dir, { recursive: true });
    cfg = `${dir}/zfailover.yml`;
    writeFileSync(
      cfg,
      `state_dir: ${dir}/state\nalerts:\n  email: {host: 127.0.0.1, port: ${smtp.port}, secure: none, from: z@a.test, to: ops@a.test, timeout: 2s}\n`,
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await smtp?.close();
    await pool?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CRITICAL, CRITICAL, OK: one problem mail and one recovery mail', async () => {
    // `@0:100` alerts inside 0..100 %: always; `100` alerts only above 100 %: never.
    const capacity = (crit: string) => runCli(['--config', cfg, 'check', 'capacity', '-w', crit, '-c', crit, pool.name]);
    expect((await capacity('@0:100')).code).toBe(2);
    expect((await capacity('@0:100')).code).toBe(2);
    expect((await capacity('100')).code).toBe(0);
    await smtp.waitFor(2, 5000);
    await new Promise((r) => setTimeout(r, 500));
    const subjects = smtp.messages.map((m) => m.mail.subject ?? '');
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toMatch(/^\[zfailover\] CRITICAL /);
    expect(subjects[1]).toMatch(/^\[zfailover\] OK /);
  });
});
