// Reading the config file: optional default, explicit path required, file mode/owner, locate() for later errors.
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isReadableByOthers } from '../../../src/config/load.js';
import { loadConfig } from '../../../src/config/loader.js';
import { ConfigFileError } from '../../../src/config/problems.js';

const dir = mkdtempSync(join(tmpdir(), 'zfo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string, mode = 0o600): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
};

const message = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('loadConfig', () => {
  test('a missing default file is fine when optional: built-in defaults, no path', async () => {
    const loaded = await loadConfig(undefined, { optional: true, defaultPath: join(dir, 'absent.yml') });
    expect(loaded.path).toBeNull();
    expect(loaded.data).toEqual({});
    expect(isReadableByOthers(loaded)).toBe(false);
  });

  test('a missing default file is an error when a job needs it', async () => {
    const p = join(dir, 'absent.yml');
    expect(await message(loadConfig(undefined, { defaultPath: p }))).toBe(`config error: ${p}: cannot read: no such file`);
  });

  test('a missing explicit --config is an error even when optional', async () => {
    const p = join(dir, 'nope.yml');
    expect(await message(loadConfig(p, { optional: true }))).toBe(`config error: ${p}: cannot read: no such file`);
  });

  test('a directory is not a config file', async () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    expect(await message(loadConfig(d))).toBe(`config error: ${d}: cannot read: is a directory`);
  });

  const asRoot = process.getuid?.() === 0 ? 'root reads any file' : null;
  test.skipIf(asRoot)(`an unreadable file says permission denied${asRoot ? ` (skipped: ${asRoot})` : ''}`, async () => {
    const p = write('locked.yml', 'jobs: {}\n', 0o000);
    expect(await message(loadConfig(p))).toBe(`config error: ${p}: cannot read: permission denied`);
  });

  test('an empty file or one with only comments is an empty config', async () => {
    expect((await loadConfig(write('empty.yml', ''))).data).toEqual({});
    expect((await loadConfig(write('comments.yml', '# nothing yet\n'))).data).toEqual({});
    expect((await loadConfig(write('nulls.yml', 'jobs:\nssh:\nlog:\n'))).data).toEqual({ jobs: {}, ssh: {}, log: {} });
  });

  test('mode and owner come from the file; group/other read bits or another owner mean readable by others', async () => {
    const secret = await loadConfig(write('secret.yml', 'jobs: {}\n', 0o600));
    expect(secret.mode).toBe(0o600);
    expect(secret.uid).toBe(process.geteuid?.());
    expect(isReadableByOthers(secret)).toBe(false);
    const group = await loadConfig(write('group.yml', 'jobs: {}\n', 0o640));
    expect(isReadableByOthers(group)).toBe(true);
    const world = await loadConfig(write('world.yml', 'jobs: {}\n', 0o604));
    expect(isReadableByOthers(world)).toBe(true);
    expect(isReadableByOthers({ mode: 0o600, uid: 1234 }, 0)).toBe(true);
  });

  test('syntax errors in a real file name the file and line', async () => {
    const p = write('bad.yml', 'jobs:\n  data:\n    source: [\n');
    expect(await message(loadConfig(p))).toMatch(new RegExp(`^config error: ${p}:4: YAML: `));
  });

  test('locate() and error() point later semantic errors at the right line', async () => {
    const p = write(
      'ok.yml',
      [
        'ssh:',
        '  port: 22',
        'jobs:',
        '  data:',
        '    source: server1:vol1/data',
        '    targets:',
        '      - vol2/data',
        '      - name: far',
        '        dataset: far:vol3/data',
        '',
      ].join('\n'),
    );
    const loaded = await loadConfig(p);
    expect(loaded.locate(['jobs', 'data', 'targets', 1, 'dataset'])).toBe(9);
    expect(loaded.locate(['jobs', 'data', 'targets', 1])).toBe(8);
    expect(loaded.locate(['jobs', 'data', 'failover'])).toBe(4);
    expect(loaded.error(['jobs', 'data', 'targets', 0, 'dataset'], 'pool vol2 is not imported').message).toBe(
      `config error: ${p}:7: jobs.data.targets[0]: pool vol2 is not imported`,
    );
  });

  test('top-level x- keys hold YAML anchors and are otherwise ignored', async () => {
    const p = write(
      'anchors.yml',
      [
        'x-defaults: &defaults',
        '  holds: false',
        '  deadline: 30s',
        'jobs:',
        '  data:',
        '    <<: *defaults',
        '    source: vol1/data',
        '    targets: [vol2/data]',
        '',
      ].join('\n'),
    );
    const loaded = await loadConfig(p);
    expect(loaded.data.jobs?.['data']).toMatchObject({ holds: false, deadline: 30 });
    expect(Object.keys(loaded.data)).toEqual(['jobs']);
  });
});
