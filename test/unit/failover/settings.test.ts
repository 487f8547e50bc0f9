// The `failover:` section of a job: accepted shape, one-line errors with file and line for what is wrong, and
// the resolved settings (defaults, --max-lag, --skip-hook of an unknown hook refused).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigFileError } from '../../../src/config/problems.js';
import { DEFAULT_HOOK_TIMEOUT, DEFAULT_MAX_LAG, failoverSettings } from '../../../src/actions/promote/settings.js';

const config = (failover: string): string =>
  [
    'jobs:',
    '  data:',
    '    source: root@server1:vol1/data',
    '    targets: [vol2/data]',
    '    failover:',
    ...failover.split('\n').map((l) => `      ${l}`),
    '',
  ].join('\n');

const problems = (text: string): string[] => {
  try {
    parseConfigText(text, '/etc/zfailover/zfailover.yml');
    return [];
  } catch (e) {
    return (e as ConfigFileError).lines();
  }
};

describe('failover config', () => {
  it('resolves hooks with defaults, and CLI flags over the config', () => {
    const loaded = parseConfigText(
      config(
        [
          'max_lag: 2m',
          'hook_timeout: 30s',
          'hooks:',
          '  - {name: stop, when: before, on: primary, run: [systemctl, stop, app], modes: [planned]}',
          '  - {name: vip, when: after, on: replica, run: [ip, addr, add, 10.0.0.5/24, dev, eth0], timeout: 5s}',
        ].join('\n'),
      ),
      '/etc/zfailover/zfailover.yml',
    );
    const s = failoverSettings(loaded, 'data', {});
    expect(s.maxLag).toBe(120);
    expect(s.hooks).toEqual([
      { name: 'stop', when: 'before', on: 'primary', run: ['systemctl', 'stop', 'app'], timeout: 30, modes: ['planned'] },
      { name: 'vip', when: 'after', on: 'replica', run: ['ip', 'addr', 'add', '10.0.0.5/24', 'dev', 'eth0'], timeout: 5, modes: ['planned', 'takeover'] },
    ]);
    expect(failoverSettings(loaded, 'data', { maxLag: 10, skipHook: ['vip'] })).toMatchObject({ maxLag: 10, skip: new Set(['vip']) });
    expect(() => failoverSettings(loaded, 'data', { skipHook: ['nope'] })).toThrow(/--skip-hook nope: no such hook \(hooks: stop, vip\)/);
    expect(failoverSettings(null, null, {})).toEqual({ maxLag: DEFAULT_MAX_LAG, hooks: [], skip: new Set() });
    expect(DEFAULT_HOOK_TIMEOUT).toBe(60);
  });

  it('reports what is wrong with file, line and key path', () => {
    expect(problems(config('hooks:\n  - {name: stop, when: before, on: primary, run: "systemctl stop app"}'))).toEqual([
      'config error: /etc/zfailover/zfailover.yml:7: jobs.data.failover.hooks[0].run: expected the command as a list of arguments, e.g. [systemctl, stop, app] (no shell)',
    ]);
    expect(problems(config('hooks:\n  - {name: stop, when: sometime, on: primary, run: [x]}'))[0]).toBe(
      "config error: /etc/zfailover/zfailover.yml:7: jobs.data.failover.hooks[0].when: expected one of 'before', 'after', 'abort', 'demote'; got 'sometime'",
    );
    expect(problems(config('hooks:\n  - {name: a, when: before, on: local, run: [x]}\n  - {name: a, when: after, on: local, run: [y]}'))[0]).toMatch(
      /:8: jobs\.data\.failover\.hooks\[1\]\.name: duplicate hook name 'a'/,
    );
    expect(problems(config('max_lag: soon'))[0]).toMatch(/:6: jobs\.data\.failover\.max_lag: not a duration: 'soon'/);
    expect(problems(config('maxlag: 5m'))[0]).toMatch(/:6: jobs\.data\.failover\.maxlag: unknown key \(did you mean 'max_lag'\?\)/);
  });
});
