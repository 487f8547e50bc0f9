// Secrets are refused when others can read them: a config holding an inline secret, or a secret file, that is
// group/world readable or owned by someone else gives one ConfigError line; private ones are read.
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { loadConfig } from '../../src/config/loader.js';
import { readSecret, verifyAlertSecrets } from '../../src/alert/secrets.js';
import { ConfigError } from '../../src/errors.js';
import { alertsConfig } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'zfo-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

const file = (name: string, text: string, mode: number): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
};
const refusal = (f: () => void): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

const INLINE = [
  'alerts:',
  '  email:',
  '    host: 127.0.0.1',
  '    secure: none',
  '    user: zfo',
  '    password: s3cret-inline',
  '    from: a@b.test',
  '    to: ops@b.test',
  '',
].join('\n');

describe('a config file holding an inline secret', () => {
  test.each([
    [0o644, 'readable by other users (mode 0644)'],
    [0o640, 'readable by other users (mode 0640)'],
  ])('mode %s is refused with one line naming the key and the file', async (mode, expected) => {
    const cfg = file(`inline-${mode.toString(8)}.yml`, INLINE, mode);
    // Loading refuses it (for every command), with the same one line verifyAlertSecrets gives.
    const err = await loadConfig(cfg).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toBe(`config holds alerts.email.password: ${cfg} is ${expected}; refusing it`);
    expect(msg).not.toContain('s3cret-inline');
    const parsed = parseConfigText(INLINE, cfg, { mode, uid: process.geteuid?.() ?? 0 });
    expect(refusal(() => verifyAlertSecrets(parsed.data.alerts!, parsed))).toBe(msg);
  });

  test('mode 0600 is accepted; the same text without secrets may be world-readable', async () => {
    const priv = await loadConfig(file('inline-600.yml', INLINE, 0o600));
    expect(() => verifyAlertSecrets(priv.data.alerts!, priv)).not.toThrow();
    const open = await loadConfig(file('nosecret.yml', INLINE.replace('    user: zfo\n    password: s3cret-inline\n', ''), 0o644));
    expect(() => verifyAlertSecrets(open.data.alerts!, open)).not.toThrow();
  });

  test.skipIf(!isRoot)(`a file owned by another user is refused ${isRoot ? '' : '(skipped: needs root to chown)'}`, async () => {
    const cfg = file('inline-other.yml', INLINE, 0o600);
    chownSync(cfg, 65534, 65534);
    const err = await loadConfig(cfg).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    // Refused before its secrets are looked at: any config another user owns is (src/state/trust.ts).
    expect((err as Error).message).toMatch(/config file not trusted: owned by uid 65534, not by uid 0 or root/);
  });
});

describe('secret files', () => {
  const withFile = (path: string) =>
    alertsConfig({ email: { host: '127.0.0.1', secure: 'none', user: 'zfo', password_file: path, from: 'a@b.test', to: 'ops@b.test' } });

  test('a private file: its first line is the secret', () => {
    const p = file('smtp.pass', 'line-one-secret\nignored\n', 0o600);
    const c = withFile(p);
    expect(() => verifyAlertSecrets(c, null)).not.toThrow();
    expect(readSecret({ where: 'alerts.email.password', ref: { file: p }, minLength: 1 })).toBe('line-one-secret');
  });

  test('readable by others, missing, empty, too short: refused, never quoting the content', () => {
    const open = file('open.pass', 'world-can-read\n', 0o604);
    expect(refusal(() => verifyAlertSecrets(withFile(open), null))).toBe(
      `alerts.email.password_file: ${open} is readable by other users (mode 0604); refusing it`,
    );
    expect(refusal(() => verifyAlertSecrets(withFile(join(dir, 'nope')), null))).toBe(
      `alerts.email.password_file: cannot read ${join(dir, 'nope')} (no such file)`,
    );
    const empty = file('empty.pass', '\n', 0o600);
    expect(refusal(() => verifyAlertSecrets(withFile(empty), null))).toMatch(/is empty \(the secret is its first line\)$/);
    const short = file('short.key', 'abc\n', 0o600);
    expect(refusal(() => readSecret({ where: 'alerts.snmp.receivers.0.auth.key', ref: { file: short }, minLength: 8 }))).toBe(
      `alerts.snmp.receivers.0.auth.key_file: the secret in ${short} is shorter than 8 characters`,
    );
  });

  test('SNMP community and USM key files are checked too', () => {
    const open = file('community', 'public-ish\n', 0o644);
    const c = alertsConfig({ snmp: { receivers: [{ host: '127.0.0.1', version: '2c', community_file: open }] } });
    expect(refusal(() => verifyAlertSecrets(c, null))).toMatch(/^alerts\.snmp\.receivers\.0\.community_file: .* is readable by other users/);
  });
});
