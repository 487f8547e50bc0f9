// What every subcommand's register function gets from the program (src/cli/program.ts), and the one way a
// (sub)command is configured: in a file of its own, so the commands and the program do not import each other.
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../../app/context.js';
import type { CommandResult } from '../../outcome.js';

export interface CommandDeps {
  readonly ctx: CliContext;
  readonly setResult: (r: CommandResult) => void;
  readonly globals: () => GlobalOptions;
}

/** Every (sub)command throws instead of exiting and prints help through the renderer's output. */
export const configure = (cmd: Command, ctx: CliContext): Command =>
  cmd.exitOverride().configureOutput({
    writeOut: (s) => ctx.out.write(s),
    writeErr: (s) => ctx.out.write(s),
    outputError: () => {
      // main renders usage errors itself as one UNKNOWN line.
    },
  });
