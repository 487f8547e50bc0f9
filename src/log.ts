// Logging: pino JSON lines to a file, to stderr only with --verbose (Monit shows just 512 bytes of
// stderr+stdout and stderr comes first, so logs there would push the status line out), otherwise nowhere.
// pino is imported only when something will be written: its start-up cost recurs every 15 s cycle.
// Secret-looking keys are redacted at any depth before a line is written.
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, UsageError } from './errors.js';

/** pino's logger type (a type-only import: no start-up cost). */
export type Logger = PinoLogger;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Absolute path of the log file; created with its directory when missing. */
  readonly file?: string | undefined;
  /** debug | info | warn | error (from --log-level or the config's log.level). */
  readonly level: string;
  /** Also log to stderr (interactive use). */
  readonly verbose: boolean;
}

const noop = (): void => undefined;

/**
 * Writes nothing and costs nothing (pino is not loaded): the default when neither a file nor --verbose is
 * given. Every logging method is a no-op, child() returns itself, and no level is enabled.
 */
export const silentLogger: Logger = new Proxy({} as Logger, {
  get(_target, prop) {
    if (prop === 'child') return () => silentLogger;
    if (prop === 'level') return 'silent';
    if (prop === 'isLevelEnabled') return () => false;
    if (prop === 'bindings') return () => ({});
    if (prop === 'then' || typeof prop === 'symbol') return undefined; // not a thenable, not iterable
    return noop;
  },
});

// Normalised (lower case, no `_`/`-`) key names whose string values are secrets wherever they appear:
// nodemailer `auth.pass`, SNMP `community`, SNMPv3 `authKey`/`privKey`, API tokens. A ZFS resume token
// (`receive_resume_token`, `resumeToken`) only describes a stream position and stays readable.
const SECRET_EXACT = new Set(['pass', 'password', 'passwd', 'secret', 'token', 'community', 'authorization', 'cookie', 'credentials']);
const SECRET_SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'community',
  'authkey',
  'privkey',
  'privatekey',
  'apikey',
  'accesstoken',
  'authtoken',
  'bearertoken',
];

export const isSecretKey = (key: string): boolean => {
  const k = key.toLowerCase().replace(/[_-]/g, '');
  return SECRET_EXACT.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
};

export const REDACTED = '[redacted]';

/** A copy of `value` with secret strings replaced; only plain objects and arrays are walked. */
export const redactSecrets = (value: unknown, depth = 0, seen = new WeakSet<object>()): unknown => {
  if (value === null || typeof value !== 'object' || depth > 10) return value;
  if (seen.has(value)) return '[circular]';
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => redactSecrets(v, depth + 1, seen));
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = isSecretKey(k) && (typeof v === 'string' || typeof v === 'number' || Buffer.isBuffer(v));
    out[k] = secret ? REDACTED : redactSecrets(v, depth + 1, seen);
  }
  return out;
};

export const createLogger = async (opts: LoggerOptions): Promise<Logger> => {
  if (!(LOG_LEVELS as readonly string[]).includes(opts.level)) {
    throw new UsageError(`invalid log level '${opts.level}': use ${LOG_LEVELS.join(', ')}`);
  }
  if (!opts.file && !opts.verbose) return silentLogger;
  // pino is CommonJS: under node the named export exists, in the esbuild bundle only `default` does.
  const mod = (await import('pino')) as unknown as { pino?: typeof import('pino').pino; default?: typeof import('pino').pino };
  const pino = (mod.pino ?? mod.default) as typeof import('pino').pino;
  const level = opts.level as LogLevel;
  const streams: { level: LogLevel; stream: DestinationStream }[] = [];
  if (opts.file) {
    try {
      // sync: the line is on disk before the run can be SIGKILLed by Monit's timeout. Each run opens the
      // file anew, so logrotate can simply rename it (no copytruncate, no signal needed).
      // O_NOFOLLOW: a symlink planted at the log's path must not make root append to another file.
      mkdirSync(dirname(opts.file), { recursive: true, mode: 0o750 });
      const fd = openSync(opts.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
      streams.push({ level, stream: pino.destination({ fd, sync: true }) });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'is a directory'
            : err.code === 'ELOOP'
              ? 'is a symbolic link'
              : (err.message ?? String(e)).replace(/\s+/g, ' ');
      throw new ConfigError(`cannot open log file ${opts.file}: ${why}`, { cause: e });
    }
  }
  if (opts.verbose) streams.push({ level, stream: pino.destination({ dest: 2, sync: true }) });
  const logger = pino(
    {
      name: 'zfailover',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // pino's own `redact` needs every path spelled out; secrets can sit at any depth of a config or
        // an error's options, so they are found by key name instead.
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
      },
    },
    streams.length === 1 ? (streams[0]?.stream as DestinationStream) : pino.multistream(streams),
  );
  // Child bindings bypass formatters.log: redact them when the child is made. Children inherit this
  // function through their prototype (pino children are Object.create(parent)), so every level is covered.
  const original = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, options?: object) {
    return original.call(this, redactSecrets(bindings) as Record<string, unknown>, options);
  } as Logger['child'];
  return logger;
};
