// Restricted mode: a check_zfs_* plugin started by sudo (or pkexec) for a non-root user runs as root with
// arguments that user chose. sudoers cannot limit arguments well (a command without arguments allows any), so
// the plugin itself takes only options that choose *what to check* and *how to rate it* (--job, --all, -w, -c,
// -t, ...). Everything that names a file, a directory, a host, an ssh option or an ad-hoc side (--config,
// --state-dir, --log-file, --ssh-*, -H, SOURCE TARGET, -r, --exclude, --id, --now) is refused with one UNKNOWN
// line before anything is read, so the plugin reads only root's default config and the state it names
// (`--config` naming exactly that default, as the documented lines do, is accepted).
// An allow-list, not a deny-list: an option added later is refused under sudo until its declaration in the
// check's table (options/check.ts) is marked `sudo`.
import { DEFAULT_CONFIG_PATH } from '../config/paths.js';
import { CHECKS, type CheckName } from './options/check.js';
import { CONFIG, HELP_OPTION } from './options/global.js';
import { flagNames, namesOf } from './options/spec.js';

/** Options with a value, and flags, a restricted plugin accepts; per check name. */
interface Allowed {
  readonly valued: ReadonlySet<string>;
  readonly flags: ReadonlySet<string>;
  /** Positional arguments (pool or dataset names that only filter what the config names). */
  readonly positionals: boolean;
}

const allowed = (check: string): Allowed | undefined => {
  const table = Object.hasOwn(CHECKS, check) ? CHECKS[check as CheckName] : undefined;
  if (!table) return undefined;
  const sudo = [HELP_OPTION, ...table.options].filter((s) => s.sudo);
  return {
    valued: new Set(flagNames(sudo.filter((s) => namesOf(s).valued))),
    flags: new Set(flagNames(sudo.filter((s) => !namesOf(s).valued))),
    positionals: table.sudoPositionals,
  };
};
const CONFIG_FLAG = namesOf(CONFIG).long;

/**
 * The uid sudo/pkexec ran us for, when that is not root and we run as root; else null (no restriction).
 * A malformed SUDO_UID under euid 0 counts as a non-root caller: fail closed.
 */
export const restrictedCaller = (env: NodeJS.ProcessEnv, euid: number | undefined): string | null => {
  if (euid !== 0) return null;
  for (const name of ['SUDO_UID', 'PKEXEC_UID'] as const) {
    const v = env[name];
    if (v !== undefined && v !== '0') return /^\d{1,10}$/.test(v) ? `uid ${v}` : `${name} set`;
  }
  return null;
};

/** A plugin executable's name (`check_zfs_<check>`) -> the check, or null for `zfailover` itself. */
const pluginCheck = (programName: string): string | null => {
  const m = /^check_zfs_([a-z]+)$/.exec(programName);
  return m ? (m[1] as string) : null;
};

// What a refusal may show of an argument: an option name as typed when it looks like one, nothing of a value.
const shown = (arg: string): string => (/^--?[A-Za-z][A-Za-z0-9-]{0,30}$/.test(arg) ? `'${arg}'` : 'an argument');

/**
 * The refusal (the text of one UNKNOWN line) for the first argument a restricted plugin does not take, or null.
 * `argv` is what main gets from a plugin bin: `check <name> ...user arguments`. Null for `zfailover` itself
 * and for runs not started by sudo/pkexec for another user.
 */
export const restrictedRefusal = (programName: string, argv: readonly string[], env: NodeJS.ProcessEnv, euid = process.geteuid?.()): string | null => {
  const check = pluginCheck(programName);
  if (check === null) return null;
  const caller = restrictedCaller(env, euid);
  if (caller === null) return null;
  const allow = allowed(check);
  const refuse = (what: string): string =>
    `${programName} run by sudo for ${caller}: ${what} is refused (only --job, --all and thresholds; the default config ${DEFAULT_CONFIG_PATH} names the rest)`;
  if (!allow || argv[0] !== 'check' || argv[1] !== check) return refuse('this command line');
  const { valued, flags } = allow;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return refuse("'--'");
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (flags.has(name) && eq < 0) continue;
      // The documented lines name the default config explicitly: that exact path (root's own) is harmless.
      if (name === CONFIG_FLAG) {
        const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1];
        if (value !== DEFAULT_CONFIG_PATH) return refuse(`option '${CONFIG_FLAG}' with a path other than ${DEFAULT_CONFIG_PATH}`);
        if (eq < 0) i++;
        continue;
      }
      if (!valued.has(name)) return refuse(`option ${shown(name)}`);
      if (eq < 0) i++; // commander takes the next argument as the value, whatever it looks like
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const name = arg.slice(0, 2);
      if (arg.length === 2 && flags.has(name)) continue;
      // A glued short option (`-w30s`) is that option with its value; glued flags (`-vH`) are refused.
      if (!valued.has(name)) return refuse(`option ${shown(name)}`);
      if (arg.length === 2) i++;
      continue;
    }
    if (!allow.positionals) return refuse('a SOURCE/TARGET side (ad-hoc check)');
  }
  return null;
};
