// Error lines quote at most a short, escaped prefix of a value: a private key given as --config, an unquoted
// all-digit SMTP password / SNMP community / USM key, or terminal escapes in a value never reach the output.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { show, SHOWN_MAX } from '../../src/config/schema/common.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

describe('show()', () => {
  it('quotes at most SHOWN_MAX characters, escaping control characters', () => {
    expect(show('x'.repeat(500))).toBe(`'${'x'.repeat(SHOWN_MAX)}'...`);
    expect(show('a\nb\u001b[31mc\u0085')).toBe("'a\\nb\\u001b[31mc\\u0085'");
    expect(show('short')).toBe("'short'");
    expect(show(12)).toBe('12');
  });
});

const skip = cliBuilt();
describe.skipIf(skip !== null)(`config errors do not echo secrets ${skip ? `(skipped: ${skip})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('echo-')}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const f = `${dir}/${name}`;
    writeFileSync(f, text, { mode: 0o600 });
    return f;
  };

  it('--config on a private key: one line, no key material', async () => {
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW'.repeat(6);
    const key = write('id_ed25519', `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`);
    for (const cmd of [
      ['check', 'rpo', '--job', 'x'],
      ['sync', '--job', 'x'],
    ]) {
      const r = await runCli(['--config', key, ...cmd]);
      expect(r.code).toBe(3);
      expect(r.line).toMatch(/^UNKNOWN: config error: .*id_ed25519.*expected a mapping, got a string/);
      expect(r.stdout + r.stderr).not.toContain('b3BlbnNzaC1rZXkt');
      expect(r.line.length).toBeLessThan(200);
    }
  });

  it.each([
    [
      'SMTP password',
      ['alerts:', '  email:', '    to: [ops@example.org]', '    from: z@example.org', '    host: 127.0.0.1', '    user: u', '    password: 918273645501'],
    ],
    ['SNMP community', ['alerts:', '  snmp:', '    receivers:', '      - host: 127.0.0.1', '        version: 2c', '        community: 918273645501']],
    [
      'USM key',
      [
        'alerts:',
        '  snmp:',
        '    receivers:',
        '      - host: 127.0.0.1',
        '        version: "3"',
        '        user: u',
        '        auth: { protocol: sha, key: 918273645501 }',
      ],
    ],
  ])('an unquoted all-digit %s is not echoed', async (_what, lines) => {
    const f = write(`${uniqueName('c')}.yml`, ['version: 1', `state_dir: ${dir}/state`, ...lines, ''].join('\n'));
    const r = await runCli(['--config', f, 'check', 'rpo', '--all']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.line).toMatch(/^UNKNOWN: config error: /);
    expect(r.stdout + r.stderr).not.toContain('918273645501');
  });

  it('terminal escapes and long values are cut and escaped', async () => {
    const f = write('esc.yml', ['version: 1', `state_dir: "${dir}/state"`, 'log:', `  level: "\\e]0;owned\\a${'y'.repeat(300)}"`, ''].join('\n'));
    const r = await runCli(['--config', f, 'check', 'rpo', '--all']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stdout).not.toMatch(/\u001b|\u0007/);
    expect(r.stdout).not.toContain('y'.repeat(SHOWN_MAX + 1));
  });
});
