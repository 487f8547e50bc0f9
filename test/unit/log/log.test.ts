// Logging: JSON lines to a file (directory created), stderr only with --verbose, silent otherwise, secrets
// redacted at any depth while ZFS resume tokens stay readable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { createLogger, isSecretKey, REDACTED, redactSecrets, silentLogger } from '../../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'zfo-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLogger', () => {
  test('no file and no --verbose: the silent logger, which accepts every call and writes nothing', async () => {
    const log = await createLogger({ level: 'debug', verbose: false });
    expect(log).toBe(silentLogger);
    expect(() => log.child({ job: 'x' }).error({ err: new Error('x') }, 'msg')).not.toThrow();
    expect(log.isLevelEnabled('error')).toBe(false);
  });

  test('to a file: JSON lines at the level, directory created, mode 0640, secrets redacted', async () => {
    const file = join(dir, 'sub', 'dir', 'zfailover.log');
    const log = await createLogger({ file, level: 'info', verbose: false });
    log.debug('hidden');
    log
      .child({ job: 'data', community: 'public-ish' })
      .child({ snmp2: { auth_key: 'deep-child' } })
      .info(
        {
          target: 'standby',
          receive_resume_token: '1-e6e8f2a3c-d8-789c636064000310a500c4ec50360710e72765a526973030',
          resume: { token: true, since: 1 },
          smtp: { host: 'mail', auth: { user: 'ops', pass: 'hunter2' } },
          snmp: { users: [{ name: 'zfo', authKey: 'authsecret1', privKey: 'privsecret1' }] },
          password: 'pw',
        },
        'replicated',
      );
    const [line, ...rest] = lines(file);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: 30,
      name: 'zfailover',
      msg: 'replicated',
      job: 'data',
      community: REDACTED,
      snmp2: { auth_key: REDACTED },
      receive_resume_token: '1-e6e8f2a3c-d8-789c636064000310a500c4ec50360710e72765a526973030',
      resume: { token: true, since: 1 },
      smtp: { host: 'mail', auth: { user: 'ops', pass: REDACTED } },
      snmp: { users: [{ name: 'zfo', authKey: REDACTED, privKey: REDACTED }] },
      password: REDACTED,
    });
    expect(typeof line?.['time']).toBe('string');
    expect(readFileSync(file, 'utf8')).not.toMatch(/hunter2|authsecret1|privsecret1|public-ish|deep-child/);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  test('an unusable log file is a config error with one line', async () => {
    await expect(createLogger({ file: dir, level: 'info', verbose: false })).rejects.toThrow(new ConfigError(`cannot open log file ${dir}: is a directory`));
  });

  test('an unknown level is a usage error', async () => {
    await expect(createLogger({ level: 'verbose', verbose: false })).rejects.toThrow(UsageError);
  });

  test('--verbose writes JSON lines to stderr and nothing to stdout', () => {
    const register = fileURLToPath(new URL('../state/fixtures/ts-register.mjs', import.meta.url));
    const child = fileURLToPath(new URL('./log-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', register, child], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const logged = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'verbose line', job: 'data', smtp: { auth: { user: 'ops', pass: REDACTED } } });
  });
});

describe('secret keys', () => {
  test.each([
    ['password', true],
    ['pass', true],
    ['smtpPassword', true],
    ['auth_key', true],
    ['authKey', true],
    ['priv_key', true],
    ['privKey', true],
    ['secret', true],
    ['client_secret', true],
    ['community', true],
    ['token', true],
    ['access_token', true],
    ['apiKey', true],
    ['receive_resume_token', false],
    ['resumeToken', false],
    ['user', false],
    ['passive', false],
    ['bypass', false],
    ['keep', false],
    ['tokens', false],
  ])('%s -> %s', (key, secret) => {
    expect(isSecretKey(key)).toBe(secret);
  });

  test('only string-like values are redacted; structure, booleans and cycles survive', () => {
    const cyclic: Record<string, unknown> = { token: true, nested: { secret: 12345 } };
    cyclic['self'] = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ token: true, nested: { secret: REDACTED }, self: '[circular]' });
  });
});
