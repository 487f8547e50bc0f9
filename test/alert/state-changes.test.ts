// Alerts end to end through notifyAlerts() with a real SMTP server (smtp-server + mailparser) and a real
// snmptrapd (v2c inform, v3 authPriv inform, v3 authPriv trap): a job going OK -> CRITICAL -> CRITICAL -> OK
// sends exactly two notifications per channel, with every field checked on arrival.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultEngineId } from '../../src/alert/mib.js';
import { notifyAlerts } from '../../src/alert/notify.js';
import type { AlertsConfig } from '../../src/alert/settings.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { snmptrapdUnavailableReason, startSnmptrapd, type TestTrapd } from '../helpers/snmptrapd.js';
import { alertsConfig, capturingLogger, HOST, replication, T0, tempStateDir } from './fixtures.js';

const reason = snmptrapdUnavailableReason();
const PEN = '1.3.6.1.4.1.32473';
const SECRETS = {
  smtp: 'smtp-pass-Zq81',
  community: 'comm-Xy77s',
  infAuth: 'infAuthPass123',
  infPriv: 'infPrivPass123',
  trapAuth: 'trapAuthPass77',
  trapPriv: 'trapPrivPass77',
};

describe.skipIf(reason)(`alerts on state changes: smtp-server + snmptrapd ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let smtp: SmtpSink;
  let trapd: TestTrapd;
  let config: AlertsConfig;
  const state = tempStateDir();
  const logger = capturingLogger();

  beforeAll(async () => {
    smtp = await startSmtpSink({ auth: { user: 'zfo', pass: SECRETS.smtp } });
    trapd = await startSnmptrapd({
      communities: [SECRETS.community],
      users: [
        { name: 'zfinform', authKey: SECRETS.infAuth, privKey: SECRETS.infPriv },
        { name: 'zftrap', authKey: SECRETS.trapAuth, privKey: SECRETS.trapPriv, engineId: defaultEngineId(PEN, HOST) },
      ],
    });
    config = alertsConfig({
      email: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: 'none',
        user: 'zfo',
        password: SECRETS.smtp,
        from: 'zfailover@host-a.test',
        to: ['ops@example.test', 'oncall@example.test'],
      },
      snmp: {
        receivers: [
          { name: 'nms-v2c', host: '127.0.0.1', port: trapd.port, version: '2c', community: SECRETS.community, mode: 'inform' },
          {
            name: 'nms-v3',
            host: '127.0.0.1',
            port: trapd.port,
            version: 3,
            user: 'zfinform',
            auth: { protocol: 'sha', key: SECRETS.infAuth },
            priv: { protocol: 'aes', key: SECRETS.infPriv },
          },
          {
            name: 'nms-v3-trap',
            host: '127.0.0.1',
            port: trapd.port,
            version: 3,
            mode: 'trap',
            user: 'zftrap',
            auth: { key: SECRETS.trapAuth },
            priv: { key: SECRETS.trapPriv },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await smtp?.close();
    await trapd?.stop();
    state.remove();
  });

  test('OK -> CRITICAL -> CRITICAL -> OK: one problem and one recovery per channel, every field as sent', async () => {
    const run = (offsetS: number, s: 'OK' | 'CRITICAL') =>
      notifyAlerts({ config, stateDir: state.dir, now: T0 + offsetS * 1000, host: HOST, source: 'sync', items: [replication(s)], logger, deadlineMs: 10_000 });

    const r1 = await run(0, 'OK');
    expect(r1).toEqual({ raised: 0, delivered: 0, pending: 0, errors: [] });
    const r2 = await run(15, 'CRITICAL');
    expect(r2).toEqual({ raised: 1, delivered: 4, pending: 0, errors: [] });
    const r3 = await run(30, 'CRITICAL');
    expect(r3).toEqual({ raised: 0, delivered: 0, pending: 0, errors: [] });
    const r4 = await run(45, 'OK');
    expect(r4).toEqual({ raised: 1, delivered: 4, pending: 0, errors: [] });

    // Email: exactly two, to both recipients, authenticated.
    await smtp.waitFor(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages).toHaveLength(2);
    const [problem, recovery] = smtp.messages as [(typeof smtp.messages)[number], (typeof smtp.messages)[number]];
    expect(problem.user).toBe('zfo');
    expect(problem.mailFrom).toBe('zfailover@host-a.test');
    expect(problem.rcptTo).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(problem.mail.subject).toBe(
      '[zfailover] CRITICAL host-a.test nightly tank/data -> backup: target diverged from source after snapshot zfailover-sync_nightly_20261126T095945.000Z',
    );
    const h = problem.mail.headers;
    expect([h.get('x-zfailover-type'), h.get('x-zfailover-state'), h.get('x-zfailover-host'), h.get('x-zfailover-job')]).toEqual([
      'problem',
      'CRITICAL',
      HOST,
      'nightly',
    ]);
    expect([h.get('x-zfailover-dataset'), h.get('x-zfailover-target'), h.get('x-zfailover-kind'), h.get('x-zfailover-conflict')]).toEqual([
      'tank/data',
      'backup',
      'replication',
      'diverged',
    ]);
    expect(h.get('auto-submitted')).toBe('auto-generated');
    const body = problem.mail.text ?? '';
    expect(body).toContain('Host:       host-a.test\n');
    expect(body).toContain('Dataset:    tank/data\n');
    expect(body).toContain('Target:     backup\n');
    expect(body).toContain('State:      CRITICAL since 2026-11-26 10:00:15 UTC (first notification)\n');
    expect(body).toContain('Lag:        40m00s\n');
    expect(body).toContain('Conflict:   diverged\n');
    expect(body).toContain('To resolve, run:\n  zfailover sync --job nightly --rollback-target\n');
    expect(recovery.mail.subject).toBe('[zfailover] OK (recovered) host-a.test nightly tank/data -> backup: replicated, lag 12s');
    expect(recovery.mail.headers.get('x-zfailover-type')).toBe('recovery');
    expect(recovery.mail.text).toContain('State:      OK since 2026-11-26 10:00:45 UTC (previously notified: CRITICAL)\n');

    // SNMP: two per receiver (3 receivers), identified by the transport/security each used.
    const traps = await trapd.waitFor(6);
    await new Promise((r) => setTimeout(r, 300));
    expect(trapd.traps).toHaveLength(6);
    const oids = trapd.traps.map((t) => t.get('SNMPv2-MIB::snmpTrapOID.0'));
    expect(oids.filter((o) => o === 'ZFAILOVER-MIB::zfAlertProblem')).toHaveLength(3);
    expect(oids.filter((o) => o === 'ZFAILOVER-MIB::zfAlertRecovery')).toHaveLength(3);
    for (const t of traps.filter((x) => x.get('SNMPv2-MIB::snmpTrapOID.0') === 'ZFAILOVER-MIB::zfAlertProblem')) {
      expect(t.varbinds.map((v) => v.name)).toEqual([
        'SNMPv2-MIB::sysUpTime.0',
        'SNMPv2-MIB::snmpTrapOID.0',
        'ZFAILOVER-MIB::zfHost.0',
        'ZFAILOVER-MIB::zfJob.0',
        'ZFAILOVER-MIB::zfDataset.0',
        'ZFAILOVER-MIB::zfTarget.0',
        'ZFAILOVER-MIB::zfAlertKind.0',
        'ZFAILOVER-MIB::zfState.0',
        'ZFAILOVER-MIB::zfPreviousState.0',
        'ZFAILOVER-MIB::zfMessage.0',
        'ZFAILOVER-MIB::zfLagSeconds.0',
        'ZFAILOVER-MIB::zfEpoch.0',
        'ZFAILOVER-MIB::zfConflict.0',
        'ZFAILOVER-MIB::zfCommand.0',
        'ZFAILOVER-MIB::zfSource.0',
        'ZFAILOVER-MIB::zfEventTime.0',
      ]);
      expect(t.get('ZFAILOVER-MIB::zfHost.0')).toBe(HOST);
      expect(t.get('ZFAILOVER-MIB::zfJob.0')).toBe('nightly');
      expect(t.get('ZFAILOVER-MIB::zfDataset.0')).toBe('tank/data');
      expect(t.get('ZFAILOVER-MIB::zfTarget.0')).toBe('backup');
      expect(t.get('ZFAILOVER-MIB::zfAlertKind.0')).toBe('replication');
      expect(t.get('ZFAILOVER-MIB::zfState.0')).toBe('critical');
      // The first notification of this key: nothing was notified before (not a made-up `ok`).
      expect(t.get('ZFAILOVER-MIB::zfPreviousState.0')).toBe('none');
      expect(t.get('ZFAILOVER-MIB::zfMessage.0')).toBe('target diverged from source after snapshot zfailover-sync_nightly_20261126T095945.000Z');
      expect(t.get('ZFAILOVER-MIB::zfLagSeconds.0')).toBe('2400 seconds');
      expect(t.get('ZFAILOVER-MIB::zfEpoch.0')).toBe('-1');
      expect(t.get('ZFAILOVER-MIB::zfConflict.0')).toBe('diverged');
      expect(t.get('ZFAILOVER-MIB::zfCommand.0')).toBe('zfailover sync --job nightly --rollback-target');
      expect(t.get('ZFAILOVER-MIB::zfSource.0')).toBe('sync');
      expect(t.get('ZFAILOVER-MIB::zfEventTime.0')).toBe('2026-11-26,10:0:15.0,+0:0');
    }
    for (const t of traps.filter((x) => x.get('SNMPv2-MIB::snmpTrapOID.0') === 'ZFAILOVER-MIB::zfAlertRecovery')) {
      expect([t.get('ZFAILOVER-MIB::zfState.0'), t.get('ZFAILOVER-MIB::zfPreviousState.0'), t.get('ZFAILOVER-MIB::zfLagSeconds.0')]).toEqual([
        'ok',
        'critical',
        '12 seconds',
      ]);
      expect(t.get('ZFAILOVER-MIB::zfConflict.0')).toBe('');
    }
    // snmptrapd's own log renders the enumeration with its number: the MIB's values are the exit codes.
    expect(trapd.log()).toContain('ZFAILOVER-MIB::zfState.0 = INTEGER: critical(2)');

    // Nothing secret reached the logs.
    for (const s of Object.values(SECRETS)) expect(logger.text()).not.toContain(s);
  });

  // The default damping (6 changes in 10 m) lets an ordinary incident through (OK, WARNING, CRITICAL, OK); eight
  // changes in two minutes are flapping: five are notified, then one flapping notice and one "stable again".
  test('flapping is damped: eight changes in 10m give five changes and one flapping notice, then one "stable again"', async () => {
    const flapState = tempStateDir();
    try {
      const mails = smtp.messages.length;
      const traps = trapd.traps.length;
      const states = ['OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK'] as const;
      const run = (t: number, s: 'OK' | 'CRITICAL') =>
        notifyAlerts({
          config,
          stateDir: flapState.dir,
          now: T0 + t,
          host: HOST,
          source: 'sync',
          items: [replication(s, { dataset: 'tank/flappy' })],
          logger,
          deadlineMs: 10_000,
        });
      for (const [i, s] of states.entries()) await run(i * 15_000, s);
      // Stable OK for a whole window (runs every 15 s): exactly one closing notice.
      for (let t = 9 * 15_000; t <= 8 * 15_000 + 615_000; t += 15_000) await run(t, 'OK');
      await smtp.waitFor(mails + 7);
      await trapd.waitFor(traps + 21);
      await new Promise((r) => setTimeout(r, 300));
      const got = smtp.messages.slice(mails).map((m) => m.mail.headers.get('x-zfailover-type'));
      expect(got).toEqual(['problem', 'recovery', 'problem', 'recovery', 'problem', 'flapping', 'recovery']);
      expect(smtp.messages.at(-1)?.mail.text).toContain('(stable again for 10m after flapping)');
      const oids = trapd.traps.slice(traps).map((t) => t.get('SNMPv2-MIB::snmpTrapOID.0'));
      expect(oids.filter((o) => o === 'ZFAILOVER-MIB::zfAlertFlapping')).toHaveLength(3);
      expect(oids).toHaveLength(21);
    } finally {
      flapState.remove();
    }
  });
});
