// The failure table of docs/design.md §2.1, row by row: each failure as the stage sees it (exit status, stderr,
// over ssh or not) goes through the one classifier and must give the documented state and first-line words.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { stateForError } from '../../../src/outcome.js';
import { DeadlineError, oneLine, type ZfoError } from '../../../src/errors.js';
import { stageFailureError, type StageFailure } from '../../../src/zfs/failure.js';
import { classifySshFailure } from '../../../src/zfs/classify.js';

const H = 'root@db2.example:22';
const ssh = (argv: string[], exitCode: number | null, stderr: string): ZfoError => stageFailureError({ argv, host: H, viaSsh: true, exitCode, stderr });
const local = (argv: string[], exitCode: number | null, stderr: string): ZfoError =>
  stageFailureError({ argv, host: 'local', viaSsh: false, exitCode, stderr });

// [docs row, the error the classifier makes, state, what the first line must say]
const ROWS: readonly [string, () => ZfoError, string, RegExp][] = [
  ['connection lost during send', () => ssh(['zfs', 'send'], 255, ''), 'WARNING', /^root@db2\.example:22 unreachable: connection lost during zfs send$/],
  [
    'connection lost during receive',
    () => ssh(['zfs', 'receive'], 255, '\r41943040 bytes (42 MB, 40 MiB) copied, 3 s, 14 MB/s'),
    'WARNING',
    /^root@db2\.example:22 unreachable: connection lost during zfs receive$/,
  ],
  ['connection lost while listing', () => ssh(['zfs', 'get', '-Hp'], 255, ''), 'WARNING', /unreachable: connection lost during zfs get$/],
  [
    'connection refused',
    () => ssh(['zfs', 'get'], 255, 'ssh: connect to host db2.example port 22: Connection refused\n'),
    'WARNING',
    /^root@db2\.example:22 unreachable: connection refused$/,
  ],
  ['no answer', () => ssh(['zfs', 'get'], 255, 'ssh: connect to host 10.9.9.9 port 22: Connection timed out'), 'WARNING', /unreachable: no answer$/],
  [
    'name not resolved',
    () => ssh(['zfs', 'get'], 255, 'ssh: Could not resolve hostname db2.example: Name or service not known'),
    'WARNING',
    /unreachable: cannot resolve host name$/,
  ],
  [
    'authentication',
    () => ssh(['zfs', 'get'], 255, 'root@127.0.0.1: Permission denied (publickey).'),
    'CRITICAL',
    /^ssh authentication to root@db2\.example:22 failed/,
  ],
  ['host key', () => ssh(['zfs', 'get'], 255, 'Host key verification failed.'), 'CRITICAL', /^host key verification failed for root@db2\.example:22$/],
  [
    'ssh configuration',
    () => ssh(['zfs', 'get'], 255, 'command-line line 0: Bad configuration option: frobnicate'),
    'CRITICAL',
    /^ssh to root@db2\.example:22 failed/,
  ],
  ['remote zfs missing', () => ssh(['zfs', 'get'], 127, 'sh: 1: zfs: not found\n'), 'CRITICAL', /^zfs get on root@db2\.example:22: sh: 1: zfs: not found$/],
  ['pool suspended', () => local(['zfs', 'receive'], 1, 'cannot receive new filesystem stream: pool I/O is currently suspended\n'), 'CRITICAL', /suspended/],
  ['no space', () => local(['zfs', 'receive'], 1, 'cannot receive incremental stream: out of space\n'), 'CRITICAL', /out of space/],
  ['dataset busy', () => local(['zfs', 'destroy'], 1, "cannot destroy 'tank/a@x': dataset is busy\n"), 'WARNING', /dataset is busy/],
  ['receive in progress', () => local(['zfs', 'receive'], 1, 'cannot receive incremental stream: dataset is busy\n'), 'WARNING', /busy/],
  ['killed', () => local(['zfs', 'send'], null, ''), 'WARNING', /killed/],
  ['deadline', () => new DeadlineError('deadline reached after 60s: transfer stopped, the next run resumes'), 'WARNING', /^deadline reached after 60s/],
];

/** The table in docs/design.md §2.1: failure -> state. */
const documented = (): Map<string, string> => {
  const doc = readFileSync(new URL('../../../docs/design.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### 2.1 '), doc.indexOf('## 3. '));
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| ([^|]+?) \| [^|]*? \| (OK|WARNING|CRITICAL|UNKNOWN) \|/gm)) rows.set(m[1] as string, m[2] as string);
  return rows;
};

describe('failure table (docs/design.md §2.1)', () => {
  test('every documented row is tested here and every tested row is documented', () => {
    expect([...documented().keys()].sort()).toEqual(ROWS.map((r) => r[0]).sort());
  });
  test.each(ROWS)('%s', (row, make, state, line) => {
    const e = make();
    expect(stateForError(e)).toBe(state);
    expect(documented().get(row)).toBe(state);
    expect(oneLine(e)).toMatch(line);
  });
  test('a remote pipeline whose non-final stage failed is not a lost connection, even with 255', () => {
    expect(classifySshFailure('zfailover-remote-stage-failed 0 1\n', 255)).toBeNull();
  });
  test('every test the "provoked for real in" column names exists and names the row\'s state', () => {
    const doc = readFileSync(new URL('../../../docs/design.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### 2.1 '), doc.indexOf('## 3. '));
    const named = [...section.matchAll(/^\|.*\| (OK|WARNING|CRITICAL|UNKNOWN) \|.*\|([^|]*)\|$/gm)].flatMap((m) =>
      [...(m[2] ?? '').matchAll(/`(test\/[^`]+)`/g)].map((f) => [f[1]!, m[1]!] as const),
    );
    expect(named.length).toBeGreaterThanOrEqual(10);
    for (const [file, state] of named) {
      const url = new URL(`../../../${file}`, import.meta.url);
      expect(existsSync(url), file).toBe(true);
      expect(readFileSync(url, 'utf8'), `${file} asserts ${state}`).toContain(state);
    }
  });
  test('a silent non-255 exit is not ssh failing', () => {
    expect(classifySshFailure('', 1)).toBeNull();
    const e = ssh(['zfs', 'receive'], 1, 'cannot receive incremental stream: invalid backup stream\n');
    expect(stateForError(e)).toBe('CRITICAL');
  });
  test("a zfs message with 255 stays zfs's (never mistaken for an outage)", () => {
    const e = ssh(['zfs', 'receive'], 255, 'cannot receive incremental stream: out of space\n');
    expect(oneLine(e)).toMatch(/out of space/);
    expect(stateForError(e)).toBe('CRITICAL');
  });
  test("the error line never shows the meter's byte counts as the reason", () => {
    const e = ssh(
      ['zfs', 'receive'],
      1,
      '\r1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1 MB/s\n0+8 records in\n0+8 records out\ncannot receive: failed to read from stream\n',
    );
    expect(oneLine(e)).toMatch(/failed to read from stream$/);
  });
});

describe('meteredBytes', async () => {
  const { meteredBytes } = await import('../../../src/zfs/argv.js');
  test('the last count, from progress lines (\\r) or the final total', () => {
    expect(meteredBytes('\r5267456 bytes (5.3 MB, 5.0 MiB) copied, 2 s, 2.3 MB/s\r5332992 bytes (5.3 MB, 5.1 MiB) copied, 2 s, 2.3 MB/s')).toBe(5332992);
    expect(meteredBytes('0+1083 records in\n0+1083 records out\n8388608 bytes (8.4 MB, 8.0 MiB) copied, 2.29311 s, 3.7 MB/s\n')).toBe(8388608);
    expect(meteredBytes('0+0 records in\n0+0 records out\n0 bytes copied, 0.0001 s, 0 kB/s\n')).toBe(0);
    expect(meteredBytes('cannot receive: out of space')).toBeNull();
  });
});
