// Resolved settings of the `alerts:` config section, as the alert module uses them (durations in seconds,
// defaults applied). The schema that produces them is src/config/schema/alerts.ts. Secrets stay references
// (inline value or file) until a delivery needs them; see secrets.ts.

/** RFC 5612 documentation enterprise number: the placeholder until the project registers its own PEN. */
export const DEFAULT_ENTERPRISE_OID = '1.3.6.1.4.1.32473';

export type SecretRef = { readonly value: string } | { readonly file: string };

export interface EmailSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: 'starttls' | 'tls' | 'none';
  readonly user: string | null;
  readonly password: SecretRef | null;
  readonly from: string;
  readonly to: readonly string[];
  /** Seconds for connect, greeting and each socket wait. */
  readonly timeout: number;
  readonly tls: { readonly caFile: string | null; readonly rejectUnauthorized: boolean; readonly servername: string | null };
  readonly subjectPrefix: string;
}

interface ReceiverCommon {
  /** Stable id used in the delivery queue and in reports: `snmp:<name>`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly mode: 'trap' | 'inform';
  readonly timeout: number;
  readonly retries: number;
}

export interface SnmpV2cReceiver extends ReceiverCommon {
  readonly version: '2c';
  readonly community: SecretRef;
}

export type AuthProtocol = 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type PrivProtocol = 'aes' | 'aes256b' | 'aes256r' | 'des';

export interface SnmpV3Receiver extends ReceiverCommon {
  readonly version: '3';
  readonly user: string;
  readonly auth: { readonly protocol: AuthProtocol; readonly key: SecretRef };
  /** null: authNoPriv (the notification is signed but readable on the wire). */
  readonly priv: { readonly protocol: PrivProtocol; readonly key: SecretRef } | null;
  /** Sender engineID (hex) for v3 traps; null derives one from the host name (see snmp.ts). */
  readonly engineId: string | null;
}

export type SnmpReceiver = SnmpV2cReceiver | SnmpV3Receiver;

export interface AlertsConfig {
  readonly minState: 'WARNING' | 'CRITICAL';
  /** Seconds between reminders while a problem persists; null for none. */
  readonly repeat: number | null;
  readonly flap: { readonly window: number; readonly maxChanges: number } | null;
  /** Seconds one run may spend on delivery in total (a producer may ask for less). */
  readonly deadline: number;
  readonly queue: { readonly maxEntries: number; readonly maxAge: number };
  /** Seconds after which a key that is no longer reported is forgotten. */
  readonly forget: number;
  readonly email: EmailSettings | null;
  readonly snmp: { readonly enterpriseOid: string; readonly receivers: readonly SnmpReceiver[] } | null;
}
