// `zfailover alert test|status|flush` through the built executable, against a real SMTP server and snmptrapd:
// exit codes, the status line, one detail line per channel, and refusal of a config that leaks secrets.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultEngineId } from '../../src/alert/mib.js';
import { notifyAlerts } from '../../src/alert/notify.js';
import { loadConfig } from '../../src/config/loader.js';
import { cliBuilt, runCli, STATUS_LINE } from '../helpers/cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { freeUdpPort, snmptrapdUnavailableReason, startSnmptrapd, type TestTrapd } from '../helpers/snmptrapd.js';
import { replication } from './fixtures.js';

const reason = cliBuilt() ?? snmptrapdUnavailableReason();

describe.skipIf(reason)(`zfailover alert (built bin) ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let smtp: SmtpSink;
  let trapd: TestTrapd;
  const dir = mkdtempSync(join(tmpdir(), 'zfo-alert-cli-'));
  const stateDir = join(dir, 'state');

  beforeAll(async () => {
    smtp = await startSmtpSink({ auth: { user: 'zfo', pass: 'cli-pass-1' } });
    trapd = await startSnmptrapd({
      communities: ['cli-community'],
      users: [{ name: 'zftrap', authKey: 'trapAuthKey1', privKey: 'trapPrivKey1', engineId: defaultEngineId('1.3.6.1.4.1.32473', hostname()) }],
    });
  });
  afterAll(async () => {
    await smtp.close();
    await trapd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (name: string, mode: number, receivers: string[], extra: string[] = []): string => {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        `state_dir: ${stateDir}`,
        'alerts:',
        '  email:',
        '    host: 127.0.0.1',
        `    port: ${smtp.port}`,
        '    secure: none',
        '    user: zfo',
        '    password: cli-pass-1',
        '    from: zfailover@host-a.test',
        '    to: [ops@example.test]',
        ...(receivers.length > 0 ? ['  snmp:', '    receivers:', ...receivers.map((r) => `      - ${r}`)] : []),
        ...extra,
        '',
      ].join('\n'),
    );
    chmodSync(file, mode);
    return file;
  };
  const V2C = () => `{ name: v2c, host: 127.0.0.1, port: ${trapd.port}, version: 2c, community: cli-community, mode: inform, timeout: 1s }`;
  const V3TRAP = () =>
    `{ name: v3trap, host: 127.0.0.1, port: ${trapd.port}, version: 3, mode: trap, user: zftrap, auth: { key: trapAuthKey1 }, priv: { key: trapPrivKey1 } }`;

  test('alert test: every channel answers, one line each, exit 0', async () => {
    const r = await runCli(['--config', config('ok.yml', 0o600, [V2C(), V3TRAP()]), 'alert', 'test']);
    expect(r.code).toBe(0);
    expect(r.line).toMatch(STATUS_LINE);
    expect(r.line).toBe('OK: test alert sent through 3 channels');
    const lines = r.stdout.split('\n').slice(1, 4);
    expect(lines[0]).toMatch(/^ok email: email to ops@example\.test via 127\.0\.0\.1:\d+ \(none\): 250 /);
    expect(lines[1]).toMatch(/^ok snmp:v2c: snmp inform to 127\.0\.0\.1:\d+ \(v2c\): inform acknowledged$/);
    expect(lines[2]).toBe(
      `ok snmp:v3trap: snmp trap to 127.0.0.1:${trapd.port} (v3 authPriv user zftrap engineID ${defaultEngineId('1.3.6.1.4.1.32473', hostname())}): trap sent (traps are not acknowledged)`,
    );
    const [m] = await smtp.waitFor(1);
    expect(m?.mail.subject).toBe(`[zfailover] TEST ${hostname()}: test alert from zfailover on ${hostname()}; if you read this, alerts reach you`);
    const traps = await trapd.waitFor(2);
    expect(traps.map((t) => t.get('SNMPv2-MIB::snmpTrapOID.0'))).toEqual(['ZFAILOVER-MIB::zfAlertTest', 'ZFAILOVER-MIB::zfAlertTest']);
    expect(traps.map((t) => t.get('ZFAILOVER-MIB::zfSource.0'))).toEqual(['test', 'test']);
  });

  test('alert test: a silent receiver makes it CRITICAL, naming the channel', async () => {
    const dead = await freeUdpPort();
    const r = await runCli([
      '--config',
      config('dead.yml', 0o600, [`{ name: gone, host: 127.0.0.1, port: ${dead}, version: 2c, community: x, timeout: 1s, retries: 0 }`]),
      'alert',
      'test',
    ]);
    expect(r.code).toBe(2);
    expect(r.line).toBe('CRITICAL: test alert failed on 1 of 2 channels: snmp:gone: no acknowledgement after 1 tries of 1s');
  });

  test('a config holding the SMTP password that others can read is refused: UNKNOWN, exit 3', async () => {
    const file = config('open.yml', 0o644, []);
    const r = await runCli(['--config', file, 'alert', 'test']);
    expect(r.code).toBe(3);
    expect(r.line).toBe(`UNKNOWN: config holds alerts.email.password: ${file} is readable by other users (mode 0644); refusing it`);
    expect(r.stdout).toContain(`fix: chmod go-rwx ${file}`);
    expect(r.stdout + r.stderr).not.toContain('cli-pass-1');
  });

  test('no alert channel configured: UNKNOWN, exit 3', async () => {
    const file = join(dir, 'none.yml');
    writeFileSync(file, `state_dir: ${stateDir}\nalerts:\n  repeat: 1h\n`, { mode: 0o600 });
    const r = await runCli(['--config', file, 'alert', 'test']);
    expect([r.code, r.line]).toEqual([3, `UNKNOWN: ${file}: no alert channel configured (add alerts.email or alerts.snmp)`]);
  });

  test('alert status lists the active problem and the pending delivery; flush delivers it', async () => {
    const file = config('status.yml', 0o600, []);
    const alerts = (await loadConfig(file)).data.alerts;
    await smtp.stop();
    // Relative to the real clock: `alert status` measures `forget` (7 d) against it.
    const t = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const since = `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    await notifyAlerts({ config: alerts, stateDir, now: t, host: 'host-a', source: 'sync', items: [replication('CRITICAL')] });

    const status = await runCli(['--config', file, 'alert', 'status']);
    expect(status.code).toBe(2);
    expect(status.line).toBe('CRITICAL: 1 active alert, 1 delivery pending (next run retries)');
    expect(status.stdout).toContain(`\nCRITICAL nightly tank/data -> backup replication since ${since}: target diverged`);
    expect(status.stdout).toContain(`\nqueued problem nightly tank/data (${since}) for email: 1 attempt, last error: email: ESOCKET: connect ECONNREFUSED`);
    const json = JSON.parse((await runCli(['--config', file, '--json', 'alert', 'status'])).stdout) as { report: { active: unknown[]; queue: unknown[] } };
    expect([json.report.active.length, json.report.queue.length]).toEqual([1, 1]);

    await smtp.start();
    const before = smtp.messages.length;
    const flush = await runCli(['--config', file, 'alert', 'flush']);
    expect([flush.code, flush.line]).toEqual([0, 'OK: delivered 1, nothing pending']);
    await smtp.waitFor(before + 1);
    const after = await runCli(['--config', file, 'alert', 'status']);
    expect([after.code, after.line]).toEqual([2, 'CRITICAL: 1 active alert, no delivery pending']);

    // A job that stopped reporting more than `forget` (7 d) ago no longer counts.
    await notifyAlerts({
      config: alerts,
      stateDir,
      now: Date.now() - 8 * 86400_000,
      host: 'host-a',
      source: 'sync',
      items: [replication('CRITICAL', { job: 'deleted' })],
    });
    await smtp.waitFor(before + 2);
    const stale = await runCli(['--config', file, 'alert', 'status']);
    expect(stale.line).toBe('CRITICAL: 1 active alert, no delivery pending');
    expect(stale.stdout).not.toContain('deleted');
  });
});
