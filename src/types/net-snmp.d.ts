// Minimal typings for the parts of net-snmp 3.x that src/alert/snmp.ts uses (the package ships none).
declare module 'net-snmp' {
  namespace snmp {
    interface Varbind {
      oid: string;
      type: number;
      value: unknown;
    }

    interface SessionOptions {
      port?: number;
      trapPort?: number;
      retries?: number;
      timeout?: number;
      backoff?: number;
      transport?: 'udp4' | 'udp6';
      version?: number;
      engineID?: string | Buffer;
      idBitsSize?: 16 | 32;
      context?: string;
    }

    interface User {
      name: string;
      level: number;
      authProtocol?: number;
      authKey?: string;
      privProtocol?: number;
      privKey?: string;
    }

    interface Session {
      trap(oid: string, varbinds: Varbind[], options: { upTime?: number; agentAddr?: string }, cb: (error: Error | null) => void): Session;
      inform(oid: string, varbinds: Varbind[], options: { upTime?: number }, cb: (error: Error | null, varbinds?: Varbind[]) => void): Session;
      close(): Session;
      on(event: 'close', cb: () => void): Session;
      on(event: 'error', cb: (error: Error) => void): Session;
    }

    const Version2c: number;
    const Version3: number;
    const ObjectType: {
      readonly OctetString: number;
      readonly Integer: number;
      readonly Integer32: number;
      readonly Counter64: number;
      readonly Gauge32: number;
      readonly TimeTicks: number;
      readonly OID: number;
    };
    const SecurityLevel: { readonly noAuthNoPriv: number; readonly authNoPriv: number; readonly authPriv: number };
    const AuthProtocols: Readonly<Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>>;
    const PrivProtocols: Readonly<Record<'des' | 'aes' | 'aes256b' | 'aes256r', number>>;

    function createSession(target: string, community: string, options?: SessionOptions): Session;
    function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  }
  export = snmp;
}
