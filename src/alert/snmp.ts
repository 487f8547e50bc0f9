// SNMP channel: notifications of ZFAILOVER-MIB as v2c or v3 traps or informs through net-snmp (imported only
// when something is sent). Informs are preferred: the receiver acknowledges them, and for v3 the sender
// learns the receiver's boots/time, whereas net-snmp sends fixed boots/time values in v3 traps.
import { uptime } from 'node:os';
import type snmpModule from 'net-snmp';
import { TransientError } from '../errors.js';
import { defaultEngineId, notificationOid, notificationVarbinds } from './mib.js';
import { readSecret } from './secrets.js';
import type { SnmpReceiver } from './settings.js';
import type { Notification } from './types.js';

export interface TrapSender {
  /** Sends one notification; resolves to what is known about its arrival. */
  send(n: Notification): Promise<string>;
  close(): void;
}

export const describeReceiver = (r: SnmpReceiver, enterpriseOid: string, host: string): string => {
  const how = r.version === '2c' ? 'v2c' : `v3 ${r.priv ? 'authPriv' : 'authNoPriv'} user ${r.user}`;
  const engine = r.version === '3' && r.mode === 'trap' ? ` engineID ${r.engineId ?? defaultEngineId(enterpriseOid, host)}` : '';
  return `snmp ${r.mode} to ${r.host}:${r.port} (${how}${engine})`;
};

/** sysUpTime for the notifications: the host's uptime (a CLI process's own uptime would always be ~0). */
const hostUpTime = (): number => Math.floor(uptime() * 100) % 2 ** 32;

export const createTrapSender = async (r: SnmpReceiver, opts: { readonly enterpriseOid: string; readonly host: string }): Promise<TrapSender> => {
  const at = (k: string): string => `alerts.snmp.receivers[${r.name}].${k}`;
  const snmp = (await import('net-snmp')).default as typeof snmpModule;
  const common = {
    trapPort: r.port,
    timeout: Math.round(r.timeout * 1000),
    retries: r.retries,
    transport: r.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
  };
  let session: snmpModule.Session;
  if (r.version === '2c') {
    const community = readSecret({ where: at('community'), ref: r.community, minLength: 1 });
    session = snmp.createSession(r.host, community, { ...common, version: snmp.Version2c });
  } else {
    const user: snmpModule.User = {
      name: r.user,
      level: r.priv ? snmp.SecurityLevel.authPriv : snmp.SecurityLevel.authNoPriv,
      authProtocol: snmp.AuthProtocols[r.auth.protocol],
      authKey: readSecret({ where: at('auth.key'), ref: r.auth.key, minLength: 8 }),
      ...(r.priv ? { privProtocol: snmp.PrivProtocols[r.priv.protocol], privKey: readSecret({ where: at('priv.key'), ref: r.priv.key, minLength: 8 }) } : {}),
    };
    // Only traps use our own engineID (the receiver must know it); informs discover the receiver's.
    const engineID = r.mode === 'trap' ? (r.engineId ?? defaultEngineId(opts.enterpriseOid, opts.host)) : undefined;
    session = snmp.createV3Session(r.host, user, { ...common, ...(engineID ? { engineID } : {}) });
  }
  // Socket errors surface through the request callbacks; an 'error' listener keeps them from being thrown.
  session.on('error', () => undefined);
  const tries = r.mode === 'inform' ? r.retries + 1 : 1;

  return {
    send(n) {
      const varbinds = notificationVarbinds(n, opts.enterpriseOid).map((v) => ({
        oid: v.oid,
        type: v.type === 'Integer' ? snmp.ObjectType.Integer : snmp.ObjectType.OctetString,
        value: typeof v.value === 'number' ? v.value : Buffer.from(v.value),
      }));
      const oid = notificationOid(opts.enterpriseOid, n.type);
      return new Promise<string>((resolve, reject) => {
        const done = (error: Error | null): void => {
          if (!error) resolve(r.mode === 'inform' ? 'inform acknowledged' : 'trap sent (traps are not acknowledged)');
          else if (/timed out/i.test(error.message)) reject(new TransientError(`no acknowledgement after ${tries} tries of ${r.timeout}s`));
          else reject(new TransientError(error.message.replace(/\s+/g, ' ')));
        };
        try {
          if (r.mode === 'inform') session.inform(oid, varbinds, { upTime: hostUpTime() }, (e) => done(e));
          else session.trap(oid, varbinds, { upTime: hostUpTime() }, (e) => done(e));
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      });
    },
    close() {
      try {
        session.close();
      } catch {
        // Already closed (a socket error closes it): nothing left to release.
      }
    },
  };
};
