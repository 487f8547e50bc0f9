// SMTP over TLS with a real server and a throwaway CA: STARTTLS (required by default) and implicit TLS both
// verify the server certificate against ca_file, authenticate, and deliver; a server without STARTTLS, or a
// certificate from an unknown CA, is a delivery failure (queued), never a silent downgrade.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { notifyAlerts } from '../../src/alert/notify.js';
import { makeTestCa, startSmtpSink, type SmtpSink, type TestCa } from '../helpers/smtp-sink.js';
import { alertsConfig, capturingLogger, HOST, replication, T0, tempStateDir } from './fixtures.js';

const reason = existsSync('/usr/bin/openssl') ? null : 'openssl is not installed (it makes the test CA)';

describe.skipIf(reason)(`email over TLS ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let ca: TestCa;
  const sinks: SmtpSink[] = [];
  const logger = capturingLogger();
  const AUTH = { user: 'zfo', pass: 'tls-pass-42' };

  beforeAll(() => {
    ca = makeTestCa();
  });
  afterAll(async () => {
    for (const s of sinks) await s.close();
    ca.remove();
  });

  const send = async (email: Record<string, unknown>) => {
    const state = tempStateDir();
    try {
      return await notifyAlerts({
        config: alertsConfig({ email: { host: '127.0.0.1', from: 'zfailover@host-a.test', to: 'ops@example.test', timeout: '3s', ...email } }),
        stateDir: state.dir,
        now: T0,
        host: HOST,
        source: 'sync',
        items: [replication('CRITICAL')],
        logger,
      });
    } finally {
      state.remove();
    }
  };
  const sink = async (opts: Parameters<typeof startSmtpSink>[0]) => {
    const s = await startSmtpSink(opts);
    sinks.push(s);
    return s;
  };

  test('STARTTLS with the CA from ca_file, then AUTH', async () => {
    const s = await sink({ tls: 'starttls', cert: ca.server, auth: AUTH });
    const r = await send({ port: s.port, secure: 'starttls', user: AUTH.user, password: AUTH.pass, tls: { ca_file: ca.caFile } });
    expect(r).toEqual({ raised: 1, delivered: 1, pending: 0, errors: [] });
    const [m] = await s.waitFor(1);
    expect([m?.secure, m?.user]).toEqual([true, 'zfo']);
  });

  test('implicit TLS (port 465 style)', async () => {
    const s = await sink({ tls: 'tls', cert: ca.server, auth: AUTH });
    const r = await send({ port: s.port, secure: 'tls', user: AUTH.user, password: AUTH.pass, tls: { ca_file: ca.caFile } });
    expect(r.errors).toEqual([]);
    const [m] = await s.waitFor(1);
    expect(m?.secure).toBe(true);
  });

  test('secure: starttls against a server without STARTTLS fails instead of sending in clear', async () => {
    const s = await sink({ tls: 'none', auth: AUTH });
    const r = await send({ port: s.port, secure: 'starttls', user: AUTH.user, password: AUTH.pass, tls: { ca_file: ca.caFile } });
    expect(r).toMatchObject({ raised: 1, delivered: 0, pending: 1 });
    expect(r.errors[0]).toMatch(/^email: .*STARTTLS/i);
    expect(s.messages).toHaveLength(0);
  });

  test('a certificate from an unknown CA is refused', async () => {
    const s = await sink({ tls: 'starttls', cert: ca.server, auth: AUTH });
    const r = await send({ port: s.port, secure: 'starttls', user: AUTH.user, password: AUTH.pass });
    expect(r).toMatchObject({ delivered: 0, pending: 1 });
    expect(r.errors[0]).toMatch(/^email: .*certificate/i);
    expect(s.messages).toHaveLength(0);
    expect(logger.text()).not.toContain(AUTH.pass);
  });
});
