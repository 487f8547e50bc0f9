// Entry point shared by every executable: parse, run one command, render one result, return the exit code.
// Nothing else calls process.exit; bins set process.exitCode from the value returned here.
import { oneLine, UsageError } from '../errors.js';
import type { CliContext } from '../app/context.js';
import { exitCodeFor } from './exit.js';
import { stateForError } from '../outcome.js';
import { fastCheck } from './fast-check.js';
import { fastSync } from './fast-sync.js';
import { JSON_OUTPUT } from './options/global.js';
import { namesOf } from './options/spec.js';
import { restrictedRefusal } from './restricted.js';
import { renderResult, stdoutOutput, type Output } from './output.js';
import type { CommandResult } from '../outcome.js';

export interface MainOptions {
  readonly programName?: string;
  readonly out?: Output;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

export const main = async (argv: readonly string[], opts: MainOptions = {}): Promise<number> => {
  const out = opts.out ?? stdoutOutput;
  const json = argv.includes(namesOf(JSON_OUTPUT).long);
  let result: CommandResult | undefined;
  const ctx: CliContext = {
    out,
    env: opts.env ?? process.env,
    now: opts.now ?? Date.now,
    signal: opts.signal ?? new AbortController().signal,
    programName: opts.programName ?? 'zfailover',
    isTTY: Boolean(process.stdout.isTTY),
  };
  // Monit's `sync --job NAME` every 15 s and the usual plugin lines (`check_zfs_rpo --job NAME -w 2m`) skip
  // building the commander tree; every other command line uses it.
  // A plugin run by sudo for another user takes no paths, hosts or ssh options: one plain line, nothing read.
  const refusal = restrictedRefusal(ctx.programName, argv, ctx.env);
  if (refusal !== null) {
    out.write(renderResult({ state: 'UNKNOWN', summary: refusal }, { json: false }));
    return exitCodeFor('UNKNOWN');
  }
  const fast = ctx.programName === 'zfailover' ? fastSync(argv) : null;
  const check = fast ? null : fastCheck(argv);
  try {
    if (fast) {
      const { runSyncCommand } = await import('../app/sync.js');
      result = await runSyncCommand({ source: undefined, targets: [], opts: fast.opts, globals: fast.globals, ctx });
    } else if (check) {
      const { runSelectionCheck } = await import('./commands/check-run.js');
      result = await runSelectionCheck(check.name, { source: undefined, targets: [], opts: check.opts, globals: check.globals, ctx });
    } else {
      const { buildProgram } = await import('./program.js');
      const program = buildProgram(ctx, (r) => {
        result = r;
      });
      await program.parseAsync([...argv], { from: 'user' });
    }
    if (!result) throw new UsageError('no command given (try --help)');
  } catch (e) {
    // Only commander throws CommanderError: loaded already when it was used, never loaded on the fast path.
    const commander = fast || check ? null : await import('commander');
    if (commander && e instanceof commander.CommanderError) {
      // --help and --version already printed their text; both exit 3 as the plugin guidelines require.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 3;
      result = { state: 'UNKNOWN', summary: `usage: ${e.message.replace(/^error: /, '')} (see --help)` };
    } else {
      result = errorResult(e);
    }
  }
  out.write(renderResult(result, { json }));
  return exitCodeFor(result.state);
};

/** An error becomes a one-line result; the hint (the resolving command) goes to the long output. */
export const errorResult = (e: unknown): CommandResult => {
  const state = stateForError(e);
  const hint = (e as { hint?: string }).hint;
  return {
    state,
    summary: oneLine(e),
    details: hint ? [`fix: ${hint}`] : [],
    report: { error: { name: (e as Error)?.name, message: oneLine(e), hint } },
  };
};
