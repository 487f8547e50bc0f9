// Every kind of config mistake gives exactly one line naming file, line, key path and the problem.
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigFileError } from '../../../src/config/problems.js';

const FILE = '/etc/zfailover/zfailover.yml';

/** A minimal valid job body, indented for `jobs.<name>:`. */
const JOB = ['    source: root@server1:vol1/data', '    targets:', '      - { name: standby, dataset: vol2/data }'];

const problemsOf = (text: string): string[] => {
  try {
    parseConfigText(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as ConfigFileError).lines();
  }
  throw new Error('config was accepted');
};

const cases: { name: string; lines: string[]; expected: string }[] = [
  {
    name: 'unknown top-level key',
    lines: ['state_dir: /var/lib/zfailover', 'statedir: /x'],
    expected: `config error: ${FILE}:2: statedir: unknown key (did you mean 'state_dir'?)`,
  },
  {
    name: 'unknown key at depth (send option)',
    lines: ['jobs:', '  data:', ...JOB, '    send:', '      raw: auto', '      compresed: true'],
    expected: `config error: ${FILE}:8: jobs.data.send.compresed: unknown key (did you mean 'compressed'?)`,
  },
  {
    name: 'unknown key inside a target item',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets:', '      - name: a', '        dataset: vol2/data', '        mountpoint: /x'],
    expected: `config error: ${FILE}:7: jobs.data.targets[0].mountpoint: unknown key (allowed: name, dataset, keep)`,
  },
  {
    name: 'camelCase key',
    lines: ['jobs:', '  data:', ...JOB, '    syncSnapshot: false'],
    expected: `config error: ${FILE}:6: jobs.data.syncSnapshot: unknown key (did you mean 'sync_snapshot'?)`,
  },
  {
    name: 'wrong type: yes is not a boolean in YAML 1.2',
    lines: ['jobs:', '  data:', ...JOB, '    recursive: yes'],
    expected: `config error: ${FILE}:6: jobs.data.recursive: expected true or false, got 'yes' (YAML 1.2: write true or false, unquoted)`,
  },
  {
    name: 'wrong type: targets is not a list',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets: vol2/data'],
    expected: `config error: ${FILE}:4: jobs.data.targets: expected a list, got 'vol2/data'`,
  },
  {
    name: 'empty target list',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets: []'],
    expected: `config error: ${FILE}:4: jobs.data.targets: at least one target is required`,
  },
  {
    name: 'wrong type: a section that must be a mapping',
    lines: ['ssh: [a, b]'],
    expected: `config error: ${FILE}:1: ssh: expected a mapping, got a list`,
  },
  {
    name: 'bad duration',
    lines: ['jobs:', '  data:', ...JOB, '    deadline: 1 minute'],
    expected: `config error: ${FILE}:6: jobs.data.deadline: not a duration: '1 minute' (use e.g. 60s, 15m; null for none)`,
  },
  {
    name: 'zero deadline',
    lines: ['jobs:', '  data:', ...JOB, '    deadline: 0'],
    expected: `config error: ${FILE}:6: jobs.data.deadline: must be above 0 (use null for none), got 0`,
  },
  {
    name: 'bad duration in ssh',
    lines: ['ssh:', '  connect_timeout: soon'],
    expected: `config error: ${FILE}:2: ssh.connect_timeout: not a duration: 'soon' (use e.g. 90s, 15m, 2h, 1d)`,
  },
  {
    name: 'bad size',
    lines: ['jobs:', '  data:', ...JOB, '    transport: { mbuffer_size: 16Q }'],
    expected: `config error: ${FILE}:6: jobs.data.transport.mbuffer_size: not a size: '16Q' (use e.g. 512K, 16M, 1G)`,
  },
  {
    name: 'bad enum',
    lines: ['jobs:', '  data:', ...JOB, '    transport:', '      compress: gzip'],
    expected: `config error: ${FILE}:7: jobs.data.transport.compress: expected one of 'none', 'zstd', 'lz4'; got 'gzip'`,
  },
  {
    name: 'bad port',
    lines: ['ssh:', '  port: 70000'],
    expected: `config error: ${FILE}:2: ssh.port: not a port (1-65535): 70000`,
  },
  {
    name: 'relative path',
    lines: ['log:', '  file: zfailover.log'],
    expected: `config error: ${FILE}:2: log.file: must be an absolute path, got 'zfailover.log'`,
  },
  {
    name: 'bad log level',
    lines: ['log: { level: verbose }'],
    expected: `config error: ${FILE}:1: log.level: expected one of 'debug', 'info', 'warn', 'error'; got 'verbose'`,
  },
  {
    name: 'host-key checking switched off',
    lines: ['ssh:', '  options:', '    - UserKnownHostsFile=/etc/zfailover/known_hosts', '    - StrictHostKeyChecking=no'],
    expected: `config error: ${FILE}:4: ssh.options[1]: ssh option 'StrictHostKeyChecking' is not allowed with this value: host keys must stay checked (use accept-new, or pin keys with UserKnownHostsFile=FILE)`,
  },
  {
    name: 'ssh option managed by zfailover',
    lines: ['ssh:', '  options: [ControlPath=/tmp/x]'],
    expected: `config error: ${FILE}:2: ssh.options[0]: ssh option 'ControlPath' is not allowed: zfailover puts its sockets in <state_dir>/ssh`,
  },
  {
    name: 'bad side spec (source)',
    lines: ['jobs:', '  data:', '    source: root@server1:vol1//data', '    targets: [vol2/data]'],
    expected: `config error: ${FILE}:3: jobs.data.source: invalid source 'vol1//data': empty component (double or trailing slash)`,
  },
  {
    name: 'bad side spec (target given as a string)',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets:', '      - backup:2x:vol2/data'],
    expected: `config error: ${FILE}:5: jobs.data.targets[0]: invalid target '2x:vol2/data': pool name must begin with a letter`,
  },
  {
    name: 'bad port in a side spec',
    lines: ['jobs:', '  data:', '    source: root@server1:99999:vol1/data', '    targets: [vol2/data]'],
    expected: `config error: ${FILE}:3: jobs.data.source: invalid port in source 'root@server1:99999:vol1/data'`,
  },
  {
    name: 'missing source',
    lines: ['jobs:', '  data:', '    targets: [vol2/data]'],
    expected: `config error: ${FILE}:2: jobs.data.source: missing required key`,
  },
  {
    name: 'bad job name (underscore separates fields in snapshot names)',
    lines: ['jobs:', '  my_data:', ...JOB],
    expected: `config error: ${FILE}:2: jobs.my_data: invalid job name 'my_data': use letters, digits, '.' and '-', starting with a letter or digit, at most 48 characters, no '_'`,
  },
  {
    name: 'bad target name',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets:', '      - name: stand/by', '        dataset: vol2/data'],
    expected: `config error: ${FILE}:5: jobs.data.targets[0].name: invalid target name 'stand/by': use letters, digits, '.' and '-', starting with a letter or digit, at most 48 characters, no '_'`,
  },
  {
    name: 'duplicate target name',
    lines: [
      'jobs:',
      '  data:',
      '    source: vol1/data',
      '    targets:',
      '      - { name: standby, dataset: vol2/data }',
      '      - { name: standby, dataset: backup:vol3/data }',
    ],
    expected: `config error: ${FILE}:6: jobs.data.targets[1].name: duplicate target name 'standby' (also targets[0])`,
  },
  {
    name: 'explicit name colliding with a default one',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets:', '      - { name: t2, dataset: vol2/data }', '      - backup:vol3/data'],
    expected: `config error: ${FILE}:6: jobs.data.targets[1]: duplicate target name 't2' (also targets[0])`,
  },
  {
    name: 'exclude outside the source',
    lines: ['jobs:', '  data:', ...JOB, '    recursive: true', '    exclude:', '      - vol1/data/tmp', '      - vol1/other'],
    expected: `config error: ${FILE}:9: jobs.data.exclude[1]: 'vol1/other' is not below the source vol1/data`,
  },
  {
    name: 'exclude without recursive',
    lines: ['jobs:', '  data:', ...JOB, '    exclude: [vol1/data/tmp]'],
    expected: `config error: ${FILE}:6: jobs.data.exclude: exclude needs recursive replication (recursive: true, or -r)`,
  },
  {
    name: 'source is the target',
    lines: ['jobs:', '  data:', '    source: root@server1:vol1/data', '    targets:', '      - server1:vol1/data'],
    expected: `config error: ${FILE}:5: jobs.data.targets[0]: target server1:vol1/data is the source itself`,
  },
  {
    name: 'target inside the source tree',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets:', '      - name: copy', '        dataset: vol1/data/copy'],
    expected: `config error: ${FILE}:6: jobs.data.targets[0].dataset: target vol1/data/copy is inside the source tree vol1/data`,
  },
  {
    name: 'target contains the source',
    lines: ['jobs:', '  data:', '    source: vol1/data', '    targets: [vol1]'],
    expected: `config error: ${FILE}:4: jobs.data.targets[0]: target vol1 contains the source vol1/data`,
  },
  {
    name: 'two jobs writing into the same target',
    lines: ['jobs:', '  a:', '    source: s1:vol1/a', '    targets: [vol2/data]', '  b:', '    source: s2:vol1/b', '    targets:', '      - vol2/data/b'],
    expected: `config error: ${FILE}:8: jobs.b.targets[0]: target vol2/data/b overlaps a target of job 'a' (jobs.a.targets[0])`,
  },
  {
    name: 'YAML syntax error',
    lines: ['jobs:', '  data:', '    source: "vol1/data', '    targets: [vol2/data]'],
    expected: `config error: ${FILE}:5: YAML: Missing closing "quote`,
  },
  {
    name: 'duplicate YAML key',
    lines: ['jobs:', '  data:', ...JOB, '    holds: true', '    holds: false'],
    expected: `config error: ${FILE}:7: YAML: Map keys must be unique`,
  },
  {
    name: 'tab indentation',
    lines: ['jobs:', '\tdata: {}'],
    expected: `config error: ${FILE}:2: YAML: Tabs are not allowed as indentation`,
  },
  {
    name: 'not a mapping at the top',
    lines: ['- jobs'],
    expected: `config error: ${FILE}:1: expected a mapping, got a list`,
  },
  {
    name: 'unsupported format version',
    lines: ['version: 2'],
    expected: `config error: ${FILE}:1: version: expected 1; got 2`,
  },
];

describe('config errors: one line, file:line: key.path: message', () => {
  test.each(cases)('$name', ({ lines, expected }) => {
    const problems = problemsOf(`${lines.join('\n')}\n`);
    expect(problems[0]).toBe(expected);
  });

  test('the error message is the first problem (by line) and counts the rest; kind config (exit 3)', () => {
    const text = ['jobs:', '  data:', '    source: vol1/data', '    targets: [vol2/data]', '    recursive: 1', '    holds: maybe', 'bogus: 1'].join('\n');
    try {
      parseConfigText(text, FILE);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).kind).toBe('config');
      expect((e as Error).message).toBe(`config error: ${FILE}:5: jobs.data.recursive: expected true or false, got 1 (and 2 more)`);
      expect((e as ConfigFileError).lines()).toEqual([
        `config error: ${FILE}:5: jobs.data.recursive: expected true or false, got 1`,
        `config error: ${FILE}:6: jobs.data.holds: expected true or false, got 'maybe'`,
        `config error: ${FILE}:7: bogus: unknown key (allowed: version, state_dir, identity, log, ssh, jobs, templates, snapshots, alerts, checks, metrics)`,
      ]);
      expect((e as Error).message).not.toMatch(/\n/);
    }
  });

  test('a key brought in by a YAML merge is reported at the line where it is written', () => {
    const text = ['x-defaults: &defaults', '  holds: yes', 'jobs:', '  data:', '    <<: *defaults', '    source: vol1/data', '    targets: [vol2/data]'].join(
      '\n',
    );
    expect(problemsOf(text)[0]).toBe(`config error: ${FILE}:2: jobs.data.holds: expected true or false, got 'yes' (YAML 1.2: write true or false, unquoted)`);
  });

  test('an alias bomb is refused instead of expanded', () => {
    const text = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(problemsOf(text)[0]).toMatch(/^config error: \/etc\/zfailover\/zfailover\.yml: YAML: .*alias/i);
  });
});
