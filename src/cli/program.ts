// The `zfailover` command tree. Each subcommand lives in src/cli/commands/<name>.ts and imports its
// implementation lazily, so a 15-second Monit cycle only pays start-up for what it runs.
import { Command, Option } from 'commander';
import type { CliContext, GlobalOptions } from '../app/context.js';
import type { CommandResult } from '../outcome.js';
import { configure } from './commands/deps.js';
import { registerCommands } from './commands/index.js';
import { VERSION } from '../version.js';

export { configure, VERSION };

export const buildProgram = (ctx: CliContext, setResult: (r: CommandResult) => void): Command => {
  const program = new Command(ctx.programName);
  program
    .description('continuously replicated ZFS hot standby: sync, snapshots, checks, promote, alerts')
    .version(`${ctx.programName} ${VERSION}`, '-V, --version')
    .option('--config <file>', 'config file (default /etc/zfailover/zfailover.yml)')
    .option('--state-dir <dir>', 'state directory (default /var/lib/zfailover, or state_dir in the config)')
    .option('--json', 'print a full machine-readable report instead of the status line')
    .option('--log-file <file>', 'write logs (JSON lines) to this file')
    .addOption(new Option('--log-level <level>', "log level (default: the config's log.level, else info)").choices(['debug', 'info', 'warn', 'error']))
    .option('-v, --verbose', 'also log to stderr (not for Monit: stderr shares its 512-byte buffer)')
    .showHelpAfterError(false);
  configure(program, ctx);
  const globals = (): GlobalOptions => {
    const o = program.opts();
    return {
      config: o.config,
      stateDir: o.stateDir,
      json: Boolean(o.json),
      logFile: o.logFile,
      logLevel: o.logLevel,
      verbose: Boolean(o.verbose),
    };
  };
  registerCommands(program, { ctx, setResult, globals });
  return program;
};
