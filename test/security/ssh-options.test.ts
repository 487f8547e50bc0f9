// ssh -o options from the command line and the config: only the allow-list passes, in every spelling ssh
// itself accepts (any case, `Key=Value`, `Key Value`, `Key = Value`, quoted values); host keys stay checked.
// The end-to-end refusal (a real plugin run, ProxyCommand never executed) is at the bottom.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sshOptionProblem, sshOptionsProblem } from '../../src/config/ssh-options.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const DANGEROUS = [
  'ProxyCommand',
  'ProxyJump',
  'ProxyUseFdpass',
  'LocalCommand',
  'PermitLocalCommand',
  'KnownHostsCommand',
  'Match',
  'Host',
  'Include',
  'PKCS11Provider',
  'SecurityKeyProvider',
  'RemoteCommand',
  'LocalForward',
  'RemoteForward',
  'DynamicForward',
  'ForwardAgent',
  'ForwardX11',
  'ForwardX11Trusted',
  'XAuthLocation',
  'Tunnel',
  'TunnelDevice',
  'IdentityAgent',
  'AddKeysToAgent',
  'SetEnv',
  'SendEnv',
  'RequestTTY',
  'SessionType',
  'StdinNull',
  'ForkAfterAuthentication',
  'EscapeChar',
  'CanonicalizeHostname',
  'ControlMaster',
  'ControlPath',
  'ControlPersist',
  'BatchMode',
  'ConnectTimeout',
];

const spellings = (key: string, value: string): string[] => [
  `${key}=${value}`,
  `${key.toLowerCase()}=${value}`,
  `${key.toUpperCase()} ${value}`,
  `${key} = ${value}`,
  `  ${key}\t${value}`,
  `${key}="${value}"`,
];

describe('ssh option allow-list', () => {
  it.each(DANGEROUS)('refuses %s in every spelling, naming the key only', (key) => {
    for (const opt of spellings(key, 'sh -c "id > /tmp/zfo-pwned"')) {
      const p = sshOptionProblem(opt);
      expect(p, opt).toMatch(/is not allowed/);
      expect(p).not.toContain('id >');
    }
  });

  it.each(['no', 'NO', 'off', 'false', 'False', '"no"', "'no'", 'ask', ' no', 'no  '])('refuses StrictHostKeyChecking %j in every spelling', (value) => {
    for (const opt of spellings('StrictHostKeyChecking', value)) expect(sshOptionProblem(opt), opt).toMatch(/host keys must stay checked/);
  });

  it('refuses what ssh would parse differently from us', () => {
    for (const opt of [
      '"ProxyCommand" id',
      '-oProxyCommand=id',
      'UserKnownHostsFile=/x\nProxyCommand=id',
      'UserKnownHostsFile=/x\rProxyCommand id',
      'Port',
      '=x',
      '',
    ]) {
      expect(sshOptionProblem(opt), JSON.stringify(opt)).not.toBeNull();
    }
  });

  it('takes the options that tune the connection or pin host keys', () => {
    for (const opt of [
      'UserKnownHostsFile=/etc/zfailover/known_hosts',
      'GlobalKnownHostsFile=/dev/null',
      'IdentitiesOnly=yes',
      'Compression=no',
      'LogLevel=ERROR',
      'StrictHostKeyChecking=yes',
      'StrictHostKeyChecking accept-new',
      'stricthostkeychecking=ACCEPT-NEW',
      'ServerAliveInterval 5',
      'Ciphers aes128-gcm@openssh.com',
      'HostKeyAlias=server1',
      'KexAlgorithms=curve25519-sha256',
    ]) {
      expect(sshOptionProblem(opt), opt).toBeNull();
    }
  });

  it('refuses accept-new with an empty known_hosts (every key accepted)', () => {
    expect(sshOptionsProblem(['StrictHostKeyChecking=accept-new', 'UserKnownHostsFile=/dev/null'])).toMatch(/accept any host key/);
    expect(sshOptionsProblem(['userknownhostsfile none', 'StrictHostKeyChecking accept-new'])).toMatch(/accept any host key/);
    expect(sshOptionsProblem(['StrictHostKeyChecking=accept-new', 'UserKnownHostsFile=/etc/zfailover/known_hosts'])).toBeNull();
    expect(sshOptionsProblem(['UserKnownHostsFile=/dev/null'])).toBeNull(); // BatchMode then refuses every key: safe
  });
});

const skip = cliBuilt();
describe.skipIf(skip !== null)(`ssh options end to end ${skip ? `(skipped: ${skip})` : ''}`, () => {
  const dir = `${TEST_ROOT}/${uniqueName('sshopt-')}`;
  const pwned = `${dir}/pwned`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CLI: a ProxyCommand is refused before ssh runs (UNKNOWN, one line, nothing executed)', async () => {
    for (const args of [
      ['check', 'rpo', '--state-dir', `${dir}/s1`, '--ssh-option', `proxycommand sh -c "id > ${pwned}"`, 'root@127.0.0.1:pool/ds', 'pool/ds'],
      ['check', 'health', '--state-dir', `${dir}/s1`, '-H', 'root@127.0.0.1', '--ssh-option', `ProxyJump=x`, '--ssh-option', `LocalCommand=id > ${pwned}`],
      ['sync', '--state-dir', `${dir}/s1`, '--ssh-option', `KnownHostsCommand=/bin/sh -c "id > ${pwned}"`, 'root@127.0.0.1:pool/ds', 'pool/ds'],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stdout).toBe(3);
      expect(r.line).toMatch(/^UNKNOWN: .*--ssh-option: ssh option \w+ is not allowed/);
      expect(r.stdout).not.toContain('id >');
      expect(existsSync(pwned)).toBe(false);
    }
  });

  it('config: ssh.options with a ProxyCommand is a config error at its line', async () => {
    const cfg = `${dir}/c.yml`;
    writeFileSync(
      cfg,
      [
        'version: 1',
        `state_dir: ${dir}/s2`,
        'ssh:',
        '  options:',
        `    - "Match exec \\"id > ${pwned}\\""`,
        'jobs:',
        '  j:',
        '    source: root@127.0.0.1:pool/ds',
        '    targets: [pool/copy]',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const r = await runCli(['--config', cfg, 'check', 'rpo', '--job', 'j']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.line).toMatch(/^UNKNOWN: config error: .*c\.yml:5: ssh\.options\[0\]: ssh option Match is not allowed/);
    expect(existsSync(pwned)).toBe(false);
  });
});
