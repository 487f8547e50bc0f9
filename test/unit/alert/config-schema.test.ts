// The `alerts:` section through the real config loader: defaults, resolved settings, and one line naming file,
// line and key path for every mistake an operator can make in it.
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigFileError } from '../../../src/config/problems.js';

const FILE = '/etc/zfailover/zfailover.yml';
const load = (lines: string[]) => parseConfigText(lines.join('\n'), FILE).data.alerts;
const problemsOf = (lines: string[]): string[] => {
  try {
    parseConfigText(lines.join('\n'), FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as ConfigFileError).lines();
  }
  throw new Error('config was accepted');
};

const EMAIL = ['alerts:', '  email:', '    host: smtp.example.com', '    from: zfailover@example.com', '    to: ops@example.com'];

describe('accepted', () => {
  test('no section: alerting off; an empty section: defaults and no channel', () => {
    expect(load(['state_dir: /var/lib/zfailover'])).toBeUndefined();
    expect(load(['alerts:'])).toEqual({
      minState: 'WARNING',
      repeat: null,
      flap: { window: 600, maxChanges: 6 },
      deadline: 5,
      queue: { maxEntries: 200, maxAge: 259200 },
      forget: 604800,
      email: null,
      snmp: null,
    });
  });

  test('email: defaults follow `secure`, a single recipient becomes a list', () => {
    expect(load(EMAIL)?.email).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: 'starttls',
      user: null,
      password: null,
      from: 'zfailover@example.com',
      to: ['ops@example.com'],
      timeout: 5,
      tls: { caFile: null, rejectUnauthorized: true, servername: null },
      subjectPrefix: '[zfailover]',
    });
    expect(load([...EMAIL, '    secure: tls', '    user: zfo', '    password_file: /etc/zfailover/smtp.pass'])?.email).toMatchObject({
      port: 465,
      user: 'zfo',
      password: { file: '/etc/zfailover/smtp.pass' },
    });
  });

  test('the full sketch from the issue', () => {
    const a = load([
      'alerts:',
      '  repeat: 60m',
      '  flap: { window: 10m, max_changes: 4 }',
      '  min_state: WARNING',
      '  snmp:',
      '    enterprise_oid: 1.3.6.1.4.1.32473',
      '    receivers:',
      '      - { host: nms1.example.com, port: 162, version: 2c, community_file: /etc/zfailover/community, mode: trap }',
      '      - host: nms2.example.com',
      '        version: 3',
      '        user: zfailover',
      '        auth: { protocol: sha, key_file: /etc/zfailover/auth.key }',
      '        priv: { protocol: aes, key: privPassphrase1 }',
      '        mode: inform',
      "        engine_id: '0x80007ED90401020304'",
    ]);
    expect(a?.repeat).toBe(3600);
    expect(a?.snmp?.receivers).toEqual([
      {
        name: 'nms1.example.com:162',
        host: 'nms1.example.com',
        port: 162,
        mode: 'trap',
        timeout: 2,
        retries: 1,
        version: '2c',
        community: { file: '/etc/zfailover/community' },
      },
      {
        name: 'nms2.example.com:162',
        host: 'nms2.example.com',
        port: 162,
        mode: 'inform',
        timeout: 2,
        retries: 1,
        version: '3',
        user: 'zfailover',
        auth: { protocol: 'sha', key: { file: '/etc/zfailover/auth.key' } },
        priv: { protocol: 'aes', key: { value: 'privPassphrase1' } },
        engineId: '80007ED90401020304',
      },
    ]);
  });

  test('repeat: null means no reminders; flap: null turns damping off', () => {
    expect(load(['alerts:', '  repeat: null', '  flap: null'])).toMatchObject({ repeat: null, flap: null });
    expect(load(['alerts:', '  flap: { max_changes: 6 }'])).toMatchObject({ flap: { window: 600, maxChanges: 6 } });
  });
});

describe('refused, one line each', () => {
  const cases: { name: string; lines: string[]; expected: string }[] = [
    {
      name: 'password and password_file',
      lines: [...EMAIL, '    user: zfo', '    password: x', '    password_file: /etc/p'],
      expected: `${FILE}:7: alerts.email.password: give password or password_file, not both`,
    },
    { name: 'password without user', lines: [...EMAIL, '    password: x'], expected: `${FILE}:2: alerts.email.user: user is required with a password` },
    {
      name: 'a password in clear to a remote server',
      lines: [...EMAIL, '    secure: none', '    user: zfo', '    password: x'],
      expected: `${FILE}:6: alerts.email.secure: refusing to send the SMTP password unencrypted to smtp.example.com: use starttls or tls`,
    },
    {
      name: 'not an address',
      lines: [...EMAIL.slice(0, 4), '    to: [ops]'],
      expected: `${FILE}:5: alerts.email.to[0]: not an email address (user@domain): 'ops'`,
    },
    { name: 'a typo', lines: [...EMAIL, '    pasword: x'], expected: `${FILE}:6: alerts.email.pasword: unknown key (did you mean 'password'?)` },
    {
      name: 'a relative secret file',
      lines: [...EMAIL, '    user: zfo', '    password_file: smtp.pass'],
      expected: `${FILE}:7: alerts.email.password_file: must be an absolute path, got 'smtp.pass'`,
    },
    {
      name: 'a bad duration',
      lines: ['alerts:', '  repeat: soon'],
      expected: `${FILE}:2: alerts.repeat: not a duration: 'soon' (use e.g. 60s, 15m; null for none)`,
    },
    { name: 'a reminder every 15 s', lines: ['alerts:', '  repeat: 15s'], expected: `${FILE}:2: alerts.repeat: must be between 60s and 30d (null for none)` },
    { name: 'a bad flap window', lines: ['alerts:', '  flap: { window: 5s }'], expected: `${FILE}:2: alerts.flap.window: must be at least 60s, got '5s'` },
    {
      name: 'a single bad recipient',
      lines: [...EMAIL.slice(0, 4), '    to: ops'],
      expected: `${FILE}:5: alerts.email.to: not an email address (user@domain): 'ops'`,
    },
    {
      name: 'SNMPv1',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 1, community: public }'],
      expected: `${FILE}:4: alerts.snmp.receivers[0].version: version must be 2c or 3, got 1`,
    },
    {
      name: 'v2c without community',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 2c }'],
      expected: `${FILE}:4: alerts.snmp.receivers[0].community: community or community_file is required for version 2c`,
    },
    {
      name: 'v3 without auth',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 3, user: zfo }'],
      expected: `${FILE}:4: alerts.snmp.receivers[0].auth: auth is required for version 3 (noAuthNoPriv is not supported)`,
    },
    {
      name: 'a short USM key',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 3, user: zfo, auth: { key: short } }'],
      expected: `${FILE}:4: alerts.snmp.receivers[0].auth.key: must be at least 8 characters (USM)`,
    },
    {
      name: 'DES',
      lines: [
        'alerts:',
        '  snmp:',
        '    receivers:',
        '      - { host: nms, version: 3, user: zfo, auth: { key: authPass12 }, priv: { protocol: des, key: privPass12 } }',
      ],
      expected: `${FILE}:4: alerts.snmp.receivers[0].priv.protocol: des is broken and unavailable in the OpenSSL of Node 20: use aes`,
    },
    {
      name: 'a community on a v3 receiver',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 3, user: zfo, auth: { key: authPass12 }, community: public }'],
      expected: `${FILE}:4: alerts.snmp.receivers[0].community: not used with version 3`,
    },
    {
      name: 'two receivers with one name',
      lines: ['alerts:', '  snmp:', '    receivers:', '      - { host: nms, version: 2c, community: a }', '      - { host: nms, version: 2c, community: b }'],
      expected: `${FILE}:5: alerts.snmp.receivers[1]: another receiver is also named 'nms:162': give each a distinct name`,
    },
    {
      name: 'an unquoted hex engine_id (YAML makes it a number)',
      lines: [
        'alerts:',
        '  snmp:',
        '    receivers:',
        '      - { host: nms, version: 3, user: zfo, auth: { key: authPass12 }, mode: trap, engine_id: 0x80007ED904 }',
      ],
      expected: `${FILE}:4: alerts.snmp.receivers[0].engine_id: quote the hex engine_id, e.g. engine_id: '0x80007ED904...': unquoted, YAML reads it as the number 549764126980`,
    },
    {
      name: 'an OID outside enterprises',
      lines: ['alerts:', '  snmp:', '    enterprise_oid: 1.3.6.1.2.1', '    receivers: []'],
      expected: `${FILE}:3: alerts.snmp.enterprise_oid: must be an OID under enterprises: 1.3.6.1.4.1.<PEN>`,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(problemsOf(c.lines)[0]).toBe(`config error: ${c.expected}`);
    });
  }
});
