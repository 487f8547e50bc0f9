// The installation identity file: created once, never replaced, agreed on by concurrent first runs, damaged
// files refused, a symlink never followed.
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isValidId } from '../../../src/core/names.js';
import { ensureInstallationId, installationPath, newInstallationId, readInstallationId } from '../../../src/state/installation.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zfo-inst-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('installation identity', () => {
  it('new ids are valid name fields built from the host name, whatever the host name', () => {
    expect(newInstallationId('standby1.example.org', 'a1b2c3')).toBe('standby1-a1b2c3');
    expect(newInstallationId('', 'a1b2c3')).toBe('zfailover-a1b2c3');
    expect(newInstallationId('__weird_host__', '000000')).toBe('weirdhost-000000');
    expect(newInstallationId('-'.repeat(30), 'ffffff')).toBe('zfailover-ffffff');
    expect(isValidId(newInstallationId('x'.repeat(80)))).toBe(true);
    expect(newInstallationId()).not.toBe(newInstallationId());
  });

  it('is created once, readable by all, and kept across calls', () => {
    expect(readInstallationId(dir)).toBeNull();
    const a = ensureInstallationId(dir, () => 'host-aaaaaa');
    expect(a).toBe('host-aaaaaa');
    expect(ensureInstallationId(dir, () => 'host-bbbbbb')).toBe('host-aaaaaa');
    expect(readFileSync(installationPath(dir), 'utf8')).toBe('host-aaaaaa\n');
    expect(statSync(installationPath(dir)).mode & 0o777).toBe(0o644);
  });

  it('a file created by someone else between the read and the link wins (no overwrite)', () => {
    const id = ensureInstallationId(dir, () => {
      writeFileSync(installationPath(dir), 'first-111111\n');
      return 'second-222222';
    });
    expect(id).toBe('first-111111');
  });

  it('refuses a damaged file with one line and a hint, and never replaces it', () => {
    writeFileSync(installationPath(dir), 'not_an id\n');
    expect(() => ensureInstallationId(dir)).toThrow(/installation is unusable: not an installation identity/);
    expect(readFileSync(installationPath(dir), 'utf8')).toBe('not_an id\n');
  });

  it('does not follow a symlink planted as the file', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'host-cccccc\n');
    symlinkSync(victim, installationPath(dir));
    expect(() => readInstallationId(dir)).toThrow(/cannot read/);
  });
});
