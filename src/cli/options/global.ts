// The program's own options (`zfailover [options] <command>`), declared once: commander's program
// (cli/program.ts), the checks that repeat --config/--state-dir in their help (options/check.ts), the fast
// paths and the sudo allow-list (cli/restricted.ts) all read these declarations.
import type { OptionSpec } from './spec.js';

export const CONFIG: OptionSpec = { flags: '--config <file>', description: 'config file (default /etc/zfailover/zfailover.yml)', example: 'c.yml' };
export const STATE_DIR: OptionSpec = {
  flags: '--state-dir <dir>',
  description: 'state directory (default /var/lib/zfailover, or state_dir in the config)',
  example: 'st',
};
/** Where the files come from: the only program options the fast paths take. */
export const PATH_GLOBALS: readonly OptionSpec[] = [CONFIG, STATE_DIR];

export const JSON_OUTPUT: OptionSpec = { flags: '--json', description: 'print a full machine-readable report instead of the status line' };
/** How the run reports: left to commander (the fast paths take none of them). */
export const OUTPUT_GLOBALS: readonly OptionSpec[] = [
  JSON_OUTPUT,
  { flags: '--log-file <file>', description: 'write logs (JSON lines) to this file' },
  { flags: '--log-level <level>', description: "log level (default: the config's log.level, else info)", choices: ['debug', 'info', 'warn', 'error'] },
  { flags: '-v, --verbose', description: 'also log to stderr (not for Monit: stderr shares its 512-byte buffer)' },
];

/** `-V, --version` of the program and of every plugin (which exits 3 on it, as on --help). */
export const VERSION_OPTION: OptionSpec = { flags: '-V, --version', description: 'output the version number', version: true, sudo: true };
/** Commander's own help option, named here for the sudo allow-list. */
export const HELP_OPTION: OptionSpec = { flags: '-h, --help', description: 'display help for command', sudo: true };
