// Delivery never breaks the job: with the SMTP server down, hanging, or an SNMP receiver silent, notifyAlerts
// still resolves (never rejects) within its deadline, keeps what it could not deliver, and delivers it on a later
// run, exactly once. Real smtp-server and snmptrapd throughout.
import { readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { bookPath } from '../../src/alert/book-store.js';
import { flushQueue, notifyAlerts } from '../../src/alert/notify.js';
import type { AlertsConfig } from '../../src/alert/settings.js';
import { startSilentListener, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { freeUdpPort, snmptrapdUnavailableReason, startSnmptrapd, type TestTrapd } from '../helpers/snmptrapd.js';
import { alertsConfig, capturingLogger, HOST, replication, T0, tempStateDir } from './fixtures.js';

const reason = snmptrapdUnavailableReason();

const emailSection = (port: number, extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port,
  secure: 'none',
  from: 'zfailover@host-a.test',
  to: 'ops@example.test',
  timeout: '2s',
  ...extra,
});
/** Notifications carried by the received mails (a digest counts for each it holds). */
const notificationsIn = (smtp: SmtpSink): number => smtp.messages.reduce((n, m) => n + Number(m.mail.headers.get('x-zfailover-count') ?? 1), 0);
const queueFiles = (stateDir: string): string[] => readdirSync(join(stateDir, 'alerts', 'queue'));
const boom = (): never => {
  throw new Error('logger broken');
};

describe.skipIf(reason)(`alert delivery through outages ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let smtp: SmtpSink;
  let trapd: TestTrapd;
  let state: ReturnType<typeof tempStateDir>;
  const logger = capturingLogger();

  beforeEach(async () => {
    smtp = await startSmtpSink();
    trapd = await startSnmptrapd({ communities: ['public-test'] });
    state = tempStateDir();
  });
  afterEach(async () => {
    await smtp.close();
    await trapd.stop();
    state.remove();
  });

  const v2c = (port: number) => ({ name: 'nms', host: '127.0.0.1', port, version: '2c', community: 'public-test', mode: 'inform', timeout: '1s', retries: 0 });

  test('SMTP down during a failure, up later: the alert arrives on the next run; SNMP is not held back', async () => {
    const config = alertsConfig({ email: emailSection(smtp.port), snmp: { receivers: [v2c(trapd.port)] } });
    const run = (i: number, s: 'OK' | 'CRITICAL') =>
      notifyAlerts({ config, stateDir: state.dir, now: T0 + i * 15_000, host: HOST, source: 'sync', items: [replication(s)], logger, deadlineMs: 5000 });

    await run(0, 'OK');
    await smtp.stop();
    const failing = await run(1, 'CRITICAL');
    expect(failing.raised).toBe(1);
    expect(failing.delivered).toBe(1); // the inform
    expect(failing.pending).toBe(1);
    expect(failing.errors).toHaveLength(1);
    expect(failing.errors[0]).toMatch(/^email: .*ECONNREFUSED/);
    await trapd.waitFor(1);

    for (const i of [2, 3, 4, 5]) {
      const stillDown = await run(i, 'CRITICAL');
      expect(stillDown).toMatchObject({ raised: 0, delivered: 0, pending: 1 });
    }

    await smtp.start();
    const back = await run(6, 'CRITICAL');
    expect(back).toEqual({ raised: 0, delivered: 1, pending: 0, errors: [] });
    await smtp.waitFor(1);
    const late = smtp.messages[0]!;
    expect(late.mail.subject).toMatch(/^\[zfailover\] CRITICAL host-a\.test nightly tank\/data -> backup: /);
    expect(late.mail.text).toContain('Raised:     2026-11-26 10:00:15 UTC\n');
    expect(late.mail.text).toContain('Sent:       2026-11-26 10:01:30 UTC, 75s late: earlier deliveries failed\n');

    const recovered = await run(7, 'OK');
    expect(recovered).toEqual({ raised: 1, delivered: 2, pending: 0, errors: [] });
    await smtp.waitFor(2);
    await trapd.waitFor(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.map((m) => m.mail.headers.get('x-zfailover-type'))).toEqual(['problem', 'recovery']);
    expect(trapd.traps.map((t) => t.get('SNMPv2-MIB::snmpTrapOID.0'))).toEqual(['ZFAILOVER-MIB::zfAlertProblem', 'ZFAILOVER-MIB::zfAlertRecovery']);
    expect(logger.text()).toMatch(/alert delivery failed.*ECONNREFUSED/);
    expect(logger.text()).toMatch(/undelivered alerts kept for the next run \{"pending":1\}/);
  });

  test('a hanging SMTP server costs at most the deadline, and the alert waits in the queue', async () => {
    const silent = await startSilentListener();
    try {
      const config = alertsConfig({ email: emailSection(silent.port, { timeout: '30s' }), deadline: '60s' });
      const started = performance.now();
      const r = await notifyAlerts({
        config,
        stateDir: state.dir,
        now: T0,
        host: HOST,
        source: 'sync',
        items: [replication('CRITICAL')],
        logger,
        deadlineMs: 1500,
      });
      const took = performance.now() - started;
      expect(took).toBeLessThan(15_000); // the SMTP timeout is 30 s: only the 1.5 s deadline ends it sooner
      expect(r).toMatchObject({ raised: 1, delivered: 0, pending: 1 });
      expect(r.errors[0]).toMatch(/^email: gave up after 1\.\ds \(alert deadline\)$/);
    } finally {
      await silent.close();
    }
  });

  test('an SNMP receiver that is down times out, and gets the inform once it is up', async () => {
    const port = await freeUdpPort();
    const config = alertsConfig({ snmp: { receivers: [v2c(port)] } });
    const down = await notifyAlerts({
      config,
      stateDir: state.dir,
      now: T0,
      host: HOST,
      source: 'check',
      items: [replication('WARNING', { kind: 'rpo' })],
      logger,
    });
    expect(down).toMatchObject({ raised: 1, delivered: 0, pending: 1, errors: ['snmp:nms: no acknowledgement after 1 tries of 1s'] });
    const late = await startSnmptrapd({ communities: ['public-test'], port });
    try {
      const up = await notifyAlerts({
        config,
        stateDir: state.dir,
        now: T0 + 15_000,
        host: HOST,
        source: 'check',
        items: [replication('WARNING', { kind: 'rpo' })],
        logger,
      });
      expect(up).toEqual({ raised: 0, delivered: 1, pending: 0, errors: [] });
      const [t] = await late.waitFor(1);
      expect([t?.get('ZFAILOVER-MIB::zfAlertKind.0'), t?.get('ZFAILOVER-MIB::zfState.0'), t?.get('ZFAILOVER-MIB::zfSource.0')]).toEqual([
        'rpo',
        'warning',
        'check',
      ]);
    } finally {
      await late.stop();
    }
  });

  test('a wrong v3 key is reported without the key, and the inform stays queued', async () => {
    const v3 = await startSnmptrapd({ users: [{ name: 'zfinform', authKey: 'rightAuthKey1', privKey: 'rightPrivKey1' }] });
    try {
      const config = alertsConfig({
        snmp: {
          receivers: [
            {
              name: 'v3',
              host: '127.0.0.1',
              port: v3.port,
              version: 3,
              user: 'zfinform',
              auth: { key: 'wrongAuthKey9' },
              priv: { key: 'rightPrivKey1' },
              timeout: '1s',
              retries: 0,
            },
          ],
        },
      });
      const r = await notifyAlerts({ config, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
      expect(r).toMatchObject({ raised: 1, delivered: 0, pending: 1 });
      expect(r.errors[0]).toMatch(/^snmp:v3: /);
      expect(r.errors.join(' ') + logger.text()).not.toContain('wrongAuthKey9');
    } finally {
      await v3.stop();
    }
  });

  test('the queue is bounded: the oldest entries are dropped and logged, the rest go out as one digest', async () => {
    await smtp.stop();
    const config = alertsConfig({ email: emailSection(smtp.port), queue: { max_entries: 3 } });
    for (let i = 0; i < 5; i++) {
      await notifyAlerts({
        config,
        stateDir: state.dir,
        now: T0 + i * 1000,
        host: HOST,
        source: 'promote',
        events: [replication('OK', { kind: 'promotion', epoch: i, summary: `promoted, epoch ${i}` })],
        logger,
      });
    }
    expect(queueFiles(state.dir)).toHaveLength(3);
    expect(logger.text()).toMatch(/undelivered alert dropped \(queue limit or age\).*promoted, epoch 0/);
    await smtp.start();
    const r = await notifyAlerts({ config, stateDir: state.dir, now: T0 + 10_000, host: HOST, source: 'sync', logger });
    expect(r).toEqual({ raised: 0, delivered: 3, pending: 0, errors: [] });
    await smtp.waitFor(1);
    const digest = smtp.messages[0]!;
    expect(digest.mail.headers.get('x-zfailover-count')).toBe('3');
    expect(digest.mail.text).toMatch(/^3 alerts from host-a\.test, oldest first:\n\n {2}EVENT promotion nightly tank\/data -> backup: promoted, epoch 2\n/);
  });

  test('two runs flushing the same queue at once deliver every alert exactly once', async () => {
    await smtp.stop();
    const config = alertsConfig({ email: emailSection(smtp.port), snmp: { receivers: [v2c(trapd.port)] } });
    await trapd.stop();
    trapd = await startSnmptrapd({ communities: ['public-test'], port: config.snmp!.receivers[0]!.port });
    for (let i = 0; i < 6; i++) {
      await notifyAlerts({
        config: { ...config, snmp: null },
        stateDir: state.dir,
        now: T0 + i,
        host: HOST,
        source: 'sync',
        items: [replication('CRITICAL', { dataset: `tank/d${i}` })],
        logger,
      });
    }
    expect(queueFiles(state.dir)).toHaveLength(6);
    await smtp.start();
    const opts = { host: HOST, logger, now: () => T0 + 60_000, deadlineAt: performance.now() + 10_000 };
    const [a, b] = await Promise.all([flushQueue(config, state.dir, opts), flushQueue(config, state.dir, opts)]);
    expect(a.delivered + b.delivered).toBe(6);
    await smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(notificationsIn(smtp)).toBe(6);
    expect(queueFiles(state.dir)).toEqual([]);
    // Queued before SNMP was configured: those entries were for email only.
    expect(trapd.traps).toHaveLength(0);
  });

  test('a claim left by a killed run goes back to the queue and is delivered', async () => {
    await smtp.stop();
    const config = alertsConfig({ email: emailSection(smtp.port) });
    await notifyAlerts({ config, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
    const [name] = queueFiles(state.dir);
    const qdir = join(state.dir, 'alerts', 'queue');
    // What a SIGKILLed run leaves: the entry renamed to its claim, the claiming pid gone.
    renameSync(join(qdir, name!), join(qdir, `${name}.claim-999999999`));
    await smtp.start();
    const r = await notifyAlerts({ config, stateDir: state.dir, now: T0 + 15_000, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
    expect(r).toEqual({ raised: 0, delivered: 1, pending: 0, errors: [] });
    await smtp.waitFor(1);
  });

  test('an unchanged run writes nothing and sends nothing', async () => {
    const config = alertsConfig({ email: emailSection(smtp.port) });
    await notifyAlerts({ config, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
    await smtp.waitFor(1);
    const book = bookPath(join(state.dir, 'alerts'), 'nightly');
    const before = statSync(book);
    for (let i = 1; i <= 5; i++) {
      const r = await notifyAlerts({
        config,
        stateDir: state.dir,
        now: T0 + i * 15_000,
        host: HOST,
        source: 'sync',
        items: [replication('CRITICAL', { summary: `lag grows ${i}` })],
        logger,
      });
      expect(r).toEqual({ raised: 0, delivered: 0, pending: 0, errors: [] });
    }
    const after = statSync(book);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(smtp.messages).toHaveLength(1);
  });

  test('an unreadable book is set aside and the current problem is notified again', async () => {
    const config = alertsConfig({ email: emailSection(smtp.port) });
    await notifyAlerts({ config, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
    writeFileSync(bookPath(join(state.dir, 'alerts'), 'nightly'), '{"version":1,"keys":');
    const r = await notifyAlerts({ config, stateDir: state.dir, now: T0 + 15_000, host: HOST, source: 'sync', items: [replication('CRITICAL')], logger });
    expect(r.raised).toBe(1);
    expect(readdirSync(join(state.dir, 'alerts')).some((n) => /^book-nightly\.json\.corrupt-\d+$/.test(n))).toBe(true);
    expect(logger.text()).toMatch(/alert state unreadable; set aside/);
  });

  test('a broken state directory and a logger that throws: the call resolves with the error, nothing thrown', async () => {
    const config = alertsConfig({ email: emailSection(smtp.port) });
    const throwing = { debug: boom, info: boom, warn: boom, error: boom };
    const r = await notifyAlerts({
      config,
      stateDir: '/etc/hostname/not-a-dir',
      now: T0,
      host: HOST,
      source: 'sync',
      items: [replication('CRITICAL')],
      logger: throwing,
    });
    expect(r).toMatchObject({ raised: 0, delivered: 0, pending: 0 });
    expect(r.errors[0]).toMatch(/^alert state directory unusable: ENOTDIR/);
  });

  test('a book lock held by a live process delays the run by at most half its deadline, then it proceeds', async () => {
    const config = alertsConfig({ email: emailSection(smtp.port) });
    const alerts = join(state.dir, 'alerts');
    await notifyAlerts({ config, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('OK')], logger });
    writeFileSync(`${bookPath(alerts, 'nightly')}.lock`, String(process.pid));
    const started = performance.now();
    const r = await notifyAlerts({
      config,
      stateDir: state.dir,
      now: T0 + 15_000,
      host: HOST,
      source: 'sync',
      items: [replication('CRITICAL')],
      logger,
      deadlineMs: 1000,
    });
    expect(performance.now() - started).toBeLessThan(10_000); // the lock is never released: a hang guard
    // Half the budget at most goes to waiting, so the alert still goes out.
    expect(r).toEqual({ raised: 1, delivered: 1, pending: 0, errors: [] });
    expect(logger.text()).toMatch(/alert state lock busy; proceeding without it/);
  });

  test('no config, or no channel: nothing is read or written', async () => {
    expect(await notifyAlerts({ config: undefined, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')] })).toEqual({
      raised: 0,
      delivered: 0,
      pending: 0,
      errors: [],
    });
    const none: AlertsConfig = alertsConfig({});
    await notifyAlerts({ config: none, stateDir: state.dir, now: T0, host: HOST, source: 'sync', items: [replication('CRITICAL')] });
    expect(readdirSync(state.dir)).toEqual([]);
  });
});
