// Wiring of `zfailover sync` (placeholder until the engine lands in this module).
import { InternalError } from '../errors.js';
import type { CliContext, GlobalOptions } from '../cli/context.js';
import type { SyncCliOptions } from '../cli/commands/sync.js';
import type { CommandResult } from '../cli/result.js';

export interface SyncCommandInput {
  readonly source: string | undefined;
  readonly targets: readonly string[];
  readonly opts: SyncCliOptions;
  readonly globals: GlobalOptions;
  readonly ctx: CliContext;
}

export const runSyncCommand = async (_input: SyncCommandInput): Promise<CommandResult> => {
  throw new InternalError('sync engine not wired yet');
};
