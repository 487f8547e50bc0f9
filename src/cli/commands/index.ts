// The list of subcommands. Registration is cheap (options only); implementations load on use.
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { registerSync } from './sync.js';
import { registerCheck } from './check.js';
import { registerAlert } from './alert.js';
import { registerSnapshot } from './snapshot.js';
import { registerPrune } from './prune.js';
import { registerPromote } from './promote.js';
import { registerDemote } from './demote.js';
import { registerStatus } from './status.js';

export const registerCommands = (program: Command, deps: CommandDeps): void => {
  registerSync(program, deps);
  registerCheck(program, deps);
  registerAlert(program, deps);
  registerSnapshot(program, deps);
  registerPrune(program, deps);
  registerPromote(program, deps);
  registerDemote(program, deps);
  registerStatus(program, deps);
};
