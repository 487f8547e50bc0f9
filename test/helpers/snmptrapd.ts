// A real Net-SNMP snmptrapd on 127.0.0.1 for tests: private config (-C), private persistent dir, the project
// MIB loaded (with the SNMPv2 base MIBs that ship inside npm net-snmp, since Debian has no IETF MIBs), and a
// traphandle script that appends each notification to a file, parsed here into symbolic varbinds.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_ROOT, uniqueName } from './zfs-fuse.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SNMPTRAPD = '/usr/sbin/snmptrapd';
export const BASE_MIBS_DIR = `${ROOT}node_modules/net-snmp/lib/mibs`;
export const PROJECT_MIB = `${ROOT}mibs/ZFAILOVER-MIB.txt`;

export const snmptrapdUnavailableReason = (): string | null => {
  if (!existsSync(SNMPTRAPD)) return 'snmptrapd is not installed (apt-get install snmptrapd)';
  if (!existsSync(`${BASE_MIBS_DIR}/SNMPv2-SMI.mib`)) return 'net-snmp base MIBs missing (npm install)';
  return null;
};

export interface TrapdUser {
  readonly name: string;
  readonly authKey: string;
  readonly privKey?: string;
  /** Sender engineID (hex) for users that send v3 traps; omit for inform users. */
  readonly engineId?: string;
}

export interface ReceivedTrap {
  /** `UDP: [127.0.0.1]:port->[127.0.0.1]:port` */
  readonly transport: string;
  /** Symbolic varbinds in order, e.g. `ZFAILOVER-MIB::zfState.0` -> `critical`. */
  readonly varbinds: readonly { readonly name: string; readonly value: string }[];
  get(name: string): string | undefined;
}

export interface TestTrapd {
  readonly port: number;
  readonly dir: string;
  readonly traps: ReceivedTrap[];
  /** snmptrapd's own log (-Lf), with `TYPE: value` renderings such as `INTEGER: critical(2)`. */
  log(): string;
  waitFor(n: number, ms?: number): Promise<ReceivedTrap[]>;
  stop(): Promise<void>;
}

/** A UDP port nothing listens on right now (for a receiver that is down, or to start snmptrapd on later). */
export const freeUdpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export const startSnmptrapd = async (opts: { communities?: readonly string[]; users?: readonly TrapdUser[]; port?: number } = {}): Promise<TestTrapd> => {
  const dir = `${TEST_ROOT}/${uniqueName('trapd-')}`;
  const mibDir = `${dir}/mibs`;
  mkdirSync(`${dir}/persist`, { recursive: true, mode: 0o700 });
  mkdirSync(mibDir, { recursive: true });
  for (const m of ['SNMPv2-SMI', 'SNMPv2-TC', 'SNMPv2-CONF', 'SNMPv2-MIB']) symlinkSync(`${BASE_MIBS_DIR}/${m}.mib`, `${mibDir}/${m}.txt`);
  symlinkSync(PROJECT_MIB, `${mibDir}/ZFAILOVER-MIB.txt`);
  const trapsFile = `${dir}/traps.txt`;
  writeFileSync(`${dir}/handler.sh`, `#!/bin/sh\n{ cat; echo '--END--'; } >> '${trapsFile}'\n`);
  chmodSync(`${dir}/handler.sh`, 0o755);
  const users = opts.users ?? [];
  writeFileSync(
    `${dir}/snmptrapd.conf`,
    [
      `[snmp] persistentDir ${dir}/persist`,
      `[snmp] mibdirs ${mibDir}`,
      '[snmp] mibs SNMPv2-MIB:ZFAILOVER-MIB',
      'doNotRetainNotificationLogs yes',
      ...(opts.communities ?? []).map((c) => `authCommunity log,execute ${c}`),
      ...users.map((u) => `createUser ${u.engineId ? `-e 0x${u.engineId} ` : ''}${u.name} SHA "${u.authKey}"${u.privKey ? ` AES "${u.privKey}"` : ''}`),
      ...users.map((u) => `authUser log,execute ${u.name} ${u.privKey ? 'priv' : 'auth'}`),
      `traphandle default ${dir}/handler.sh`,
      '',
    ].join('\n'),
  );
  const port = opts.port ?? (await freeUdpPort());
  const logFile = `${dir}/snmptrapd.log`;
  const child: ChildProcess = spawn(SNMPTRAPD, ['-f', '-C', '-c', `${dir}/snmptrapd.conf`, '-Lf', logFile, `udp:127.0.0.1:${port}`], {
    stdio: 'ignore',
    env: { ...process.env, SNMP_PERSISTENT_DIR: `${dir}/persist`, MIBDIRS: mibDir },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  for (let i = 0; !/NET-SNMP version/.test(log()); i++) {
    if (child.exitCode !== null || i > 100) throw new Error(`snmptrapd did not start: ${log().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const traps: ReceivedTrap[] = [];
  const refresh = (): void => {
    const text = existsSync(trapsFile) ? readFileSync(trapsFile, 'utf8') : '';
    const blocks = text.split('--END--\n').filter((b) => b.trim() !== '');
    for (const block of blocks.slice(traps.length)) traps.push(parseTrap(block));
  };
  return {
    port,
    dir,
    get traps() {
      refresh();
      return traps;
    },
    log,
    async waitFor(n, ms = 5000) {
      const until = Date.now() + ms;
      for (;;) {
        refresh();
        if (traps.length >= n) return traps;
        if (Date.now() > until) throw new Error(`expected ${n} notifications, got ${traps.length} within ${ms}ms; log: ${log().slice(-400)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      // It sometimes needs more than 0.5 s to exit; wait so the port is free before anything rebinds it.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** traphandle input: host line, transport line, then `NAME VALUE` per varbind. */
const parseTrap = (block: string): ReceivedTrap => {
  const lines = block.split('\n').filter((l) => l !== '');
  const varbinds = lines.slice(2).map((l) => {
    const i = l.indexOf(' ');
    return i < 0 ? { name: l, value: '' } : { name: l.slice(0, i), value: l.slice(i + 1) };
  });
  return {
    transport: lines[1] ?? '',
    varbinds,
    get: (name) => varbinds.find((v) => v.name === name)?.value,
  };
};
