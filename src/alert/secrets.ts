// Secrets of the alert channels (SMTP password, SNMP community, USM keys): inline in the config file or in
// files it references. Either file must be private, by the config loader's rule (isReadableByOthers): owned
// by the user running zfailover, no group or other read bit. Secret values go to the channel adapters only;
// they never appear in errors or logs.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { isReadableByOthers } from '../state/trust.js';
import { ConfigError } from '../errors.js';
import type { AlertsConfig, SecretRef } from './settings.js';

export interface SecretUse {
  /** Config key path, e.g. `alerts.email.password`. */
  readonly where: string;
  readonly ref: SecretRef;
  /** USM keys: Net-SNMP refuses passphrases shorter than 8 characters. */
  readonly minLength: number;
}

/** Every secret the section refers to, with its key path for messages. */
export const secretUses = (c: AlertsConfig): SecretUse[] => {
  const uses: SecretUse[] = [];
  if (c.email?.password) uses.push({ where: 'alerts.email.password', ref: c.email.password, minLength: 1 });
  c.snmp?.receivers.forEach((r, i) => {
    const at = `alerts.snmp.receivers.${i}`;
    if (r.version === '2c') uses.push({ where: `${at}.community`, ref: r.community, minLength: 1 });
    else {
      uses.push({ where: `${at}.auth.key`, ref: r.auth.key, minLength: 8 });
      if (r.priv) uses.push({ where: `${at}.priv.key`, ref: r.priv.key, minLength: 8 });
    }
  });
  return uses;
};

const statOrFail = (file: string, what: string): Stats => {
  try {
    return statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${what}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`);
  }
};

/** The one-line refusal for a file holding secrets that others can read (or null when it is private). */
export const privacyProblem = (file: string, what: string, meta: { mode: number; uid: number }, euid = currentEuid()): ConfigError | null => {
  if (!isReadableByOthers(meta, euid)) return null;
  if (meta.uid !== euid) {
    return new ConfigError(`${what}: ${file} is owned by uid ${meta.uid}, not by the user running zfailover (uid ${euid}); refusing it`, {
      hint: `chown ${euid} ${file}`,
    });
  }
  const mode = (meta.mode & 0o7777).toString(8).padStart(4, '0');
  return new ConfigError(`${what}: ${file} is readable by other users (mode ${mode}); refusing it`, { hint: `chmod go-rwx ${file}` });
};

const currentEuid = (): number => process.geteuid?.() ?? 0;

/** Throws a one-line ConfigError when `file` is not a regular file private to the running user. */
export const verifyPrivateFile = (file: string, what: string): void => {
  const st = statOrFail(file, what);
  if (!st.isFile()) throw new ConfigError(`${what}: ${file} is not a regular file`);
  const problem = privacyProblem(file, what, { mode: st.mode, uid: st.uid });
  if (problem) throw problem;
};

/** The loaded config file as LoadedConfig describes it (mode and owner read from the open descriptor). */
export interface ConfigFileMeta {
  readonly path: string | null;
  readonly mode: number | null;
  readonly uid: number | null;
}

/**
 * Refuses a config that holds inline secrets but is readable by others, and secret files that are missing or
 * not private. Call it right after the section validated (config load, `alert test`) so the operator sees the
 * problem as a config error (exit 3) instead of failed deliveries.
 */
export const verifyAlertSecrets = (c: AlertsConfig, configFile: ConfigFileMeta | null): void => {
  const uses = secretUses(c);
  const inline = uses.find((u) => 'value' in u.ref);
  if (inline && configFile?.path && configFile.mode !== null && configFile.uid !== null) {
    const problem = privacyProblem(configFile.path, `config holds ${inline.where}`, { mode: configFile.mode, uid: configFile.uid });
    if (problem) throw problem;
  }
  for (const u of uses) {
    if ('file' in u.ref) {
      verifyPrivateFile(u.ref.file, `${u.where}_file`);
      readSecret(u);
    }
  }
};

/** The secret's value: inline, or the first line of its (private) file. */
export const readSecret = (use: SecretUse): string => {
  if ('value' in use.ref) return use.ref.value;
  const file = use.ref.file;
  verifyPrivateFile(file, `${use.where}_file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${use.where}_file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.split(/\r?\n/, 1)[0] ?? '';
  if (value === '') throw new ConfigError(`${use.where}_file: ${file} is empty (the secret is its first line)`);
  if (value.length < use.minLength) {
    throw new ConfigError(`${use.where}_file: the secret in ${file} is shorter than ${use.minLength} characters`);
  }
  return value;
};
