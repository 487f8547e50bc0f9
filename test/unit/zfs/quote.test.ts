// quoteArg/remoteCommand: whatever the arguments, sh receives exactly them (checked by a real /bin/sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { REMOTE_EXIT, REMOTE_PREAMBLE, quoteArg, remoteCommand, remoteStageFailures } from '../../../src/zfs/quote.js';

/** Arguments sh can carry: anything but NUL, and valid UTF-16 (lone surrogates do not survive UTF-8). */
const shArg = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({
      unit: fc.constantFrom(
        "'",
        '"',
        '\\',
        '$',
        '`',
        ' ',
        '\n',
        '\t',
        '-',
        '*',
        '?',
        '~',
        '!',
        ';',
        '&',
        '|',
        '(',
        ')',
        '<',
        '>',
        '#',
        '=',
        '%',
        '{',
        '}',
        'a',
        'é',
        '日',
        '😀',
      ),
      maxLength: 20,
    }),
    fc.constantFrom('', '-n', '--', '-e', "'", "''", '$(id)', '`id`', '$HOME', 'a b', '\n', 'tank/a b@x', '~root', '*'),
  )
  .filter((s) => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s);

const echoBack = (args: readonly string[], shell = 'sh'): string[] => {
  const out = execFileSync(shell, ['-c', remoteCommand([['printf', '%s\\0', ...args]])], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return out.split('\0').slice(0, -1);
};

describe('quoteArg / remoteCommand', () => {
  fcTest.prop([fc.array(shArg, { minLength: 1, maxLength: 6 })], { numRuns: 300 })('sh gets exactly the arguments back', (args) => {
    expect(echoBack(args)).toEqual(args);
  });

  fcTest.prop([fc.array(shArg, { minLength: 1, maxLength: 4 })], { numRuns: 60 })('bash (a typical login shell) too', (args) => {
    expect(echoBack(args, 'bash')).toEqual(args);
  });

  test('safe words stay bare, everything else is single-quoted', () => {
    expect(quoteArg('tank/data@zfailover-sync_j_20261126T000000.000Z')).toBe('tank/data@zfailover-sync_j_20261126T000000.000Z');
    expect(quoteArg('-I')).toBe("'-I'");
    expect(quoteArg('')).toBe("''");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg('a b')).toBe("'a b'");
  });

  test('stages are joined by pipes after the constant preamble', () => {
    const cmd = remoteCommand([
      ['zfs', 'send', 'tank/a b@s'],
      ['zstd', '-c'],
    ]);
    expect(cmd.startsWith(REMOTE_PREAMBLE)).toBe(true);
    expect(cmd).toContain("zfs send 'tank/a b@s'");
    expect(cmd.endsWith(`} | zstd '-c'${REMOTE_EXIT}`)).toBe(true);
  });

  test('a failing non-final stage is reported on stderr with its status', () => {
    const r = spawnSync('sh', ['-c', remoteCommand([['sh', '-c', 'exit 3'], ['cat']])], { encoding: 'utf8' });
    // The pipeline exits with cat's status 0: only the marker tells that stage 0 failed.
    expect(r.status).toBe(0);
    expect(remoteStageFailures(r.stderr)).toEqual(new Map([[0, 3]]));
    const ok = spawnSync('sh', ['-c', remoteCommand([['true'], ['cat']])], { encoding: 'utf8' });
    expect(remoteStageFailures(ok.stderr).size).toBe(0);
  });

  test('the preamble makes zfs findable from a bare PATH', () => {
    const out = execFileSync('sh', ['-c', remoteCommand([['sh', '-c', 'echo "$PATH $LC_ALL"']])], { encoding: 'utf8', env: { PATH: '/bin' } });
    expect(out.trim()).toBe('/bin:/usr/sbin:/sbin C');
  });

  test('empty pipelines and stages are refused', () => {
    expect(() => remoteCommand([])).toThrow(RangeError);
    expect(() => remoteCommand([[]])).toThrow(RangeError);
  });
});

describe('remote exit status', () => {
  test('a remote 255 (zfs-fuse "internal error") arrives as 254: 255 is left to ssh, which means the connection', () => {
    expect(spawnSync('sh', ['-c', remoteCommand([['sh', '-c', 'exit 255']])]).status).toBe(254);
    expect(spawnSync('sh', ['-c', remoteCommand([['sh', '-c', 'exit 2']])]).status).toBe(2);
    expect(spawnSync('sh', ['-c', remoteCommand([['true']])]).status).toBe(0);
  });
});
