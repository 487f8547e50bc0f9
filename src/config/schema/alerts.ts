// Config slot for top-level `alerts:` (email, SNMP traps, de-duplication); owned by the alerts part (src/alert).
// YAML (snake_case) in, resolved settings (src/alert/settings.ts) out. Secrets stay references here; the
// privacy of the config file and of secret files is checked by verifyAlertSecrets (src/alert/secrets.ts).
import * as z from 'zod';
import {
  DEFAULT_ENTERPRISE_OID,
  type AlertsConfig,
  type AuthProtocol,
  type EmailSettings,
  type PrivProtocol,
  type SecretRef,
  type SnmpReceiver,
} from '../../alert/settings.js';
import { absolutePath, duration, port, positiveDurationOrNull, show } from './common.js';

type Ctx = z.core.$RefinementCtx<unknown>;
const issue = (ctx: Ctx, path: (string | number)[], message: string): void => {
  ctx.issues.push({ code: 'custom', path, message, input: undefined });
};

/** Seconds within [min, max]. */
const seconds = (min: number, max: number) => duration({ min }).refine((s) => s <= max, { error: `must be at most ${max}s` });

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });
// Plain addresses only: display names and lists inside one string are easy to get wrong in YAML.
const address = z
  .string()
  .trim()
  .regex(/^[^\s<>@,;"]+@[^\s<>@,;"]+$/, { error: (i) => `not an email address (user@domain): ${show(i.input)}` });
const hostName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.:_-]+$/, { error: (i) => `not a host name or IP address: ${show(i.input)}` });
const receiverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,63}$/, { error: 'use letters, digits, . : _ - (at most 64)' });

/** Exactly one of `<key>` and `<key>_file`, or neither (then `required` says why it is needed, if it is). */
const secretOf = (o: Record<string, unknown>, key: string, ctx: Ctx, required: string | null): SecretRef | null => {
  const value = o[key] as string | undefined;
  const file = o[`${key}_file`] as string | undefined;
  if (value !== undefined && file !== undefined) {
    issue(ctx, [key], `give ${key} or ${key}_file, not both`);
    return null;
  }
  if (value === undefined && file === undefined) {
    if (required !== null) issue(ctx, [key], `${key} or ${key}_file is required${required ? ` ${required}` : ''}`);
    return null;
  }
  return value !== undefined ? { value } : { file: file as string };
};

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

// ---- email -------------------------------------------------------------------------------------

const emailSchema = z
  .strictObject({
    host: hostName,
    /** Default by `secure`: 587 (starttls), 465 (tls), 25 (none). */
    port: port().optional(),
    /** starttls: STARTTLS is required (a server without it fails); tls: implicit TLS; none: a local relay. */
    secure: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    user: nonEmpty.optional(),
    password: z.string().min(1).optional(),
    password_file: absolutePath().optional(),
    from: address,
    to: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(address).min(1, { error: 'needs at least one address' })),
    timeout: seconds(1, 120).default(5),
    tls: z
      .strictObject({
        ca_file: absolutePath().optional(),
        reject_unauthorized: z.boolean().default(true),
        servername: hostName.optional(),
      })
      .optional(),
    subject_prefix: z.string().max(40).default('[zfailover]'),
  })
  .transform((o, ctx): EmailSettings => {
    const password = secretOf(o, 'password', ctx, null);
    if (password && !o.user) issue(ctx, ['user'], 'user is required with a password');
    if (o.user && !password) issue(ctx, ['password'], 'password or password_file is required with user');
    if (password && o.secure === 'none' && !isLoopback(o.host)) {
      issue(ctx, ['secure'], `refusing to send the SMTP password unencrypted to ${o.host}: use starttls or tls`);
    }
    return {
      host: o.host,
      port: o.port ?? (o.secure === 'tls' ? 465 : o.secure === 'starttls' ? 587 : 25),
      secure: o.secure,
      user: o.user ?? null,
      password,
      from: o.from,
      to: o.to,
      timeout: o.timeout,
      tls: { caFile: o.tls?.ca_file ?? null, rejectUnauthorized: o.tls?.reject_unauthorized ?? true, servername: o.tls?.servername ?? null },
      subjectPrefix: o.subject_prefix,
    };
  });

// ---- snmp --------------------------------------------------------------------------------------

// USM derives keys from passphrases; Net-SNMP refuses ones shorter than 8 characters.
const usmKey = z.string().min(8, { error: 'must be at least 8 characters (USM)' });

const authSchema = z
  .strictObject({
    protocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha'),
    key: usmKey.optional(),
    key_file: absolutePath().optional(),
  })
  .transform((o, ctx) => ({ protocol: o.protocol as AuthProtocol, key: secretOf(o, 'key', ctx, '') ?? { value: '' } }));

const privSchema = z
  .strictObject({
    // des is accepted by the schema only to explain why it is refused (below).
    protocol: z.enum(['aes', 'aes256b', 'aes256r', 'des']).default('aes'),
    key: usmKey.optional(),
    key_file: absolutePath().optional(),
  })
  .transform((o, ctx) => ({ protocol: o.protocol as PrivProtocol, key: secretOf(o, 'key', ctx, '') ?? { value: '' } }));

const receiverSchema = z
  .strictObject({
    /** Id in logs, reports and the delivery queue; default `host:port`. */
    name: receiverName.optional(),
    host: hostName,
    port: port().default(162),
    // YAML reads `3` as a number and `2c` as a string.
    version: z.union([z.literal('2c'), z.literal('3'), z.literal(3)], { error: (i) => `version must be 2c or 3, got ${show(i.input)}` }),
    /** inform: acknowledged and retried (preferred); trap: fire and forget. */
    mode: z.enum(['trap', 'inform']).default('inform'),
    timeout: seconds(1, 30).default(2),
    retries: z.number().int().min(0).max(5).default(1),
    community: z.string().min(1).optional(),
    community_file: absolutePath().optional(),
    user: receiverName.optional(),
    auth: authSchema.optional(),
    priv: privSchema.optional(),
    /** Sender engineID for v3 traps (the receiver needs `createUser -e` with it). */
    engine_id: z
      .unknown()
      .transform((v, ctx): string => {
        // YAML 1.2 reads unquoted 0x... (and all-digit hex) as a number, which loses the exact bytes.
        if (typeof v !== 'string') {
          issue(ctx, [], `quote the hex engine_id, e.g. engine_id: '0x80007ED904...': unquoted, YAML reads it as the number ${show(v)}`);
          return z.NEVER;
        }
        if (!/^(0x)?([0-9A-Fa-f]{2}){5,32}$/.test(v)) {
          issue(ctx, [], `engine_id must be 5 to 32 bytes in hex, got ${show(v)}`);
          return z.NEVER;
        }
        return v.replace(/^0x/, '').toUpperCase();
      })
      .optional(),
  })
  .transform((o, ctx): SnmpReceiver => {
    const common = { name: o.name ?? `${o.host}:${o.port}`, host: o.host, port: o.port, mode: o.mode, timeout: o.timeout, retries: o.retries };
    const unused = (keys: readonly string[], version: string): void => {
      for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) issue(ctx, [k], `not used with version ${version}`);
    };
    if (o.version === '2c') {
      unused(['user', 'auth', 'priv', 'engine_id'], '2c');
      return { ...common, version: '2c', community: secretOf(o, 'community', ctx, 'for version 2c') ?? { value: '' } };
    }
    unused(['community', 'community_file'], '3');
    if (!o.user) issue(ctx, ['user'], 'user is required for version 3');
    if (!o.auth) issue(ctx, ['auth'], 'auth is required for version 3 (noAuthNoPriv is not supported)');
    if (o.priv?.protocol === 'des') issue(ctx, ['priv', 'protocol'], 'des is broken and unavailable in the OpenSSL of Node 20: use aes');
    return {
      ...common,
      version: '3',
      user: o.user ?? '',
      auth: o.auth ?? { protocol: 'sha', key: { value: '' } },
      priv: o.priv ?? null,
      engineId: o.engine_id ?? null,
    };
  });

const snmpSchema = z
  .strictObject({
    enterprise_oid: z
      .string()
      .regex(/^1\.3\.6\.1\.4\.1\.\d+(\.\d+)*$/, { error: 'must be an OID under enterprises: 1.3.6.1.4.1.<PEN>' })
      .default(DEFAULT_ENTERPRISE_OID),
    receivers: z.array(receiverSchema).min(1, { error: 'needs at least one receiver' }),
  })
  .transform((o, ctx) => {
    const seen = new Set<string>();
    o.receivers.forEach((r, i) => {
      if (seen.has(r.name)) issue(ctx, ['receivers', i], `another receiver is also named '${r.name}': give each a distinct name`);
      seen.add(r.name);
    });
    return { enterpriseOid: o.enterprise_oid, receivers: o.receivers };
  });

// ---- the section -------------------------------------------------------------------------------

const sectionSchema = z
  .strictObject({
    /** WARNING: every non-OK state is notified; CRITICAL: only CRITICAL (WARNING/UNKNOWN count as OK). */
    min_state: z.enum(['WARNING', 'CRITICAL']).default('WARNING'),
    /** Reminder interval while a problem lasts; null for none. */
    repeat: positiveDurationOrNull()
      .refine((s) => s === null || (s >= 60 && s <= 30 * 86400), { error: 'must be between 60s and 30d (null for none)' })
      .default(null),
    /** null turns damping off. 6 changes in 10m (three round trips): an incident that escalates and recovers
     *  (OK -> WARNING -> CRITICAL -> WARNING -> OK, even after a start-up blip) is never called flapping. */
    flap: z
      .strictObject({ window: seconds(60, 86400).default(600), max_changes: z.number().int().min(2).max(100).default(6) })
      .nullable()
      .default({ window: 600, max_changes: 6 }),
    /** Total time one run may spend delivering (a producer may ask for less). */
    deadline: seconds(1, 60).default(5),
    queue: z
      .strictObject({ max_entries: z.number().int().min(1).max(10_000).default(200), max_age: seconds(60, 30 * 86400).default(3 * 86400) })
      .default({ max_entries: 200, max_age: 3 * 86400 }),
    /** A key (job, dataset, target, kind) not reported for this long is forgotten. */
    forget: seconds(3600, 365 * 86400).default(7 * 86400),
    email: emailSchema.optional(),
    snmp: snmpSchema.optional(),
  })
  .transform((o): AlertsConfig => ({
    minState: o.min_state,
    repeat: o.repeat,
    flap: o.flap === null ? null : { window: o.flap.window, maxChanges: o.flap.max_changes },
    deadline: o.deadline,
    queue: { maxEntries: o.queue.max_entries, maxAge: o.queue.max_age },
    forget: o.forget,
    email: o.email ?? null,
    snmp: o.snmp ?? null,
  }));

/** `alerts:` with everything commented out is YAML null: the defaults, with no channel (nothing is sent). */
export const alertsSchema = z.preprocess((v) => (v === null ? {} : v), sectionSchema).optional();
