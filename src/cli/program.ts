// The `zfailover` command tree. Each subcommand lives in src/cli/commands/<name>.ts and imports its
// implementation lazily, so a 15-second Monit cycle only pays start-up for what it runs.
import { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../app/context.js';
import type { CommandResult } from '../outcome.js';
import { configure } from './commands/deps.js';
import { registerCommands } from './commands/index.js';
import { VERSION } from '../version.js';
import { addOptions } from './options/commander.js';
import { OUTPUT_GLOBALS, PATH_GLOBALS, VERSION_OPTION } from './options/global.js';

export { configure, VERSION };

export const buildProgram = (ctx: CliContext, setResult: (r: CommandResult) => void): Command => {
  const program = new Command(ctx.programName);
  program.description('continuously replicated ZFS hot standby: sync, snapshots, checks, promote, alerts');
  addOptions(program, [VERSION_OPTION, ...PATH_GLOBALS, ...OUTPUT_GLOBALS], `${ctx.programName} ${VERSION}`).showHelpAfterError(false);
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
