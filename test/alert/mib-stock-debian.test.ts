// Issue 14: SNMP on a stock Debian, which has no IETF base MIBs (snmp-mibs-downloader is non-free) and whose
// /etc/snmp/snmp.conf says `mibs :`. Only the documented operator steps: scripts/install.sh into an empty MIB
// directory (standing in for /usr/share/snmp/mibs), then the ```snmptrapd lines of docs/parts/alerts.md, in a
// real snmptrapd whose config also holds Debian's `mibs :` line and Net-SNMP's default MIB search path (the
// two /usr/share/snmp/mibs dirs, substituted). `zfailover alert test` sends an inform; snmptrapd logs it with
// names only (notification, objects, enum values) and never "Cannot find module".
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, cliBuilt, runCli } from '../helpers/cli.js';
import { freeUdpPort } from '../helpers/snmptrapd.js';

const SNMPTRAPD = '/usr/sbin/snmptrapd';
const reason = (existsSync(SNMPTRAPD) ? null : 'snmptrapd is not installed') ?? cliBuilt();

describe.skipIf(reason)(`SNMP on stock Debian: documented steps give translated traps${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const dir = mkdtempSync(`${tmpdir()}/zfo-stockmib-`);
  const mibs = `${dir}/usr/share/snmp/mibs`;
  let trapd: ChildProcess | undefined;
  let port: number;
  beforeAll(async () => {
    mkdirSync(mibs, { recursive: true });
    mkdirSync(`${dir}/persist`, { recursive: true, mode: 0o700 });
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ZFAILOVER_PREFIX: `${dir}/opt/zfailover`,
      ZFAILOVER_BINDIR: `${dir}/bin`,
      ZFAILOVER_CONFDIR: `${dir}/etc/zfailover`,
      ZFAILOVER_STATEDIR: `${dir}/var/lib/zfailover`,
      ZFAILOVER_MIBDIR: mibs,
    };
    const inst = await execa(`${ROOT}scripts/install.sh`, ['--no-build'], { env, extendEnv: false, reject: false });
    expect(inst.exitCode, inst.stderr).toBe(0);
    expect(inst.stdout).toContain(`installed the IETF base MIBs (SNMPv2-SMI, -TC, -CONF, -MIB) into ${mibs}/ietf`);
    const doc = readFileSync(`${ROOT}docs/parts/alerts.md`, 'utf8');
    const lines = [...doc.matchAll(/```snmptrapd\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(lines).toHaveLength(1);
    writeFileSync(
      `${dir}/snmptrapd.conf`,
      [
        // What snmptrapd reads from a stock Debian's /etc/snmp/snmp.conf, and Net-SNMP's default search path.
        `[snmp] persistentDir ${dir}/persist`,
        `[snmp] mibdirs ${mibs}:${mibs}/ietf`,
        '[snmp] mibs :',
        lines[0] as string,
      ].join('\n'),
    );
    port = await freeUdpPort();
    trapd = spawn(SNMPTRAPD, ['-f', '-C', '-c', `${dir}/snmptrapd.conf`, '-Lf', `${dir}/trapd.log`, `udp:127.0.0.1:${port}`], {
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin', SNMP_PERSISTENT_DIR: `${dir}/persist` },
    });
    for (let i = 0; !(existsSync(`${dir}/trapd.log`) && /NET-SNMP version/.test(readFileSync(`${dir}/trapd.log`, 'utf8'))); i++) {
      if (trapd.exitCode !== null || i > 200) throw new Error('snmptrapd did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 120_000);
  afterAll(async () => {
    if (trapd && trapd.exitCode === null) {
      const exited = new Promise((r) => trapd!.once('exit', r));
      trapd.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('install.sh put the MIB and the base MIBs on the search path', () => {
    expect(readdirSync(mibs)).toContain('ZFAILOVER-MIB.txt');
    expect(readdirSync(`${mibs}/ietf`).sort()).toEqual(['SNMPv2-CONF.txt', 'SNMPv2-MIB.txt', 'SNMPv2-SMI.txt', 'SNMPv2-TC.txt']);
  });

  test('the documented smilint line prints nothing (smilint always exits 0: any output is a finding)', async () => {
    const doc = readFileSync(`${ROOT}docs/parts/alerts.md`, 'utf8');
    const line = /`(SMIPATH=\S+ smilint -l 6 -s \S+)`/.exec(doc)?.[1];
    expect(line).toBeDefined();
    const r = await execa('sh', ['-c', (line as string).replaceAll('/usr/share/snmp/mibs', mibs)], { reject: false });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, '', '']);
  }, 60_000);

  test('zfailover alert test arrives as names: notification, objects and enum values', async () => {
    const cfg = `${dir}/alert.yml`;
    writeFileSync(
      cfg,
      `state_dir: ${dir}/state\nalerts:\n  snmp:\n    receivers:\n      - { name: nms, host: 127.0.0.1, port: ${port}, version: 2c, community: public, mode: inform, timeout: 2s }\n`,
      { mode: 0o600 },
    );
    const r = await runCli(['--config', cfg, 'alert', 'test']);
    expect(r.code, r.stdout).toBe(0);
    const log = readFileSync(`${dir}/trapd.log`, 'utf8');
    expect(log).not.toMatch(/Cannot find module|Cannot adopt|Did not find/);
    expect(log).toMatch(/SNMPv2-MIB::snmpTrapOID\.0 = OID: ZFAILOVER-MIB::zfAlertTest/);
    expect(log).toMatch(/ZFAILOVER-MIB::zfState\.0 = INTEGER: ok\(0\)/);
    expect(log).toMatch(/ZFAILOVER-MIB::zfPreviousState\.0 = INTEGER: none\(4\)/);
    expect(log).toMatch(/ZFAILOVER-MIB::zfHost\.0 = STRING: /);
    // Nothing left as a number under the enterprise arc.
    expect(log).not.toMatch(/iso\.3\.6\.1\.4\.1\.32473|\.1\.3\.6\.1\.4\.1\.32473/);
  });
});
