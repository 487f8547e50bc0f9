// `zfailover check <name>`: the Nagios/Icinga plugins (also installed as check_zfs_<name>). Registration only
// declares options; each check's code loads on use, so a plugin run pays start-up for that check alone.
import type { CommandResult } from '../../outcome.js';
import type { Command } from 'commander';
import type { CommandDeps } from './deps.js';
import { configure } from './deps.js';
import { VERSION } from '../../version.js';
import { addOptions } from '../options/commander.js';
import { CHECKS, type CheckName } from '../options/check.js';
import { checkAlertKind, runSelectionCheck } from './check-run.js';

/** SOURCE TARGET... of the checks that take sync's sides. */
const sides = (cmd: Command): Command =>
  cmd.argument('[source]', 'source dataset: pool/ds or [user@]host[:port]:pool/ds').argument('[targets...]', 'target dataset(s), as for zfailover sync');

export const registerCheck = (program: Command, deps: CommandDeps): void => {
  const { ctx, globals } = deps;
  // A check result goes to zfailover's alert book only with `checks.send_alerts: true` (the producer decides);
  // rpo, divergence and job do the same in runSelectionCheck, which the plugins' fast path also runs.
  const setResult = async (kind: CheckName, opts: Parameters<typeof checkAlertKind>[1], job: string, subject: string, r: CommandResult): Promise<void> => {
    const { alertResult } = await import('../../app/alert-producer.js');
    deps.setResult(await alertResult({ source: 'check', kind: checkAlertKind(kind, opts), job, subject }, r, globals(), ctx));
  };
  const version = `${ctx.programName} ${VERSION}`;
  const check = configure(program.command('check').description('Nagios/Icinga/Monit checks (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)'), ctx);
  // Every option comes from the check's table (options/check.ts); only positionals and the action are added here.
  const sub = (name: CheckName, description: string, args: (cmd: Command) => Command = (c) => c): Command => {
    const cmd = args(configure(check.command(name).description(description), ctx));
    // Run as check_zfs_<name>, the help shows that name alone, not `check_zfs_<name> check <name>`.
    if (ctx.programName === `check_zfs_${name}`) cmd.configureHelp({ commandUsage: (c) => `${ctx.programName} ${c.usage()}` });
    return addOptions(cmd, CHECKS[name].options, version);
  };

  sub('rpo', 'age of the newest replica snapshot whose GUID the source has, snapshots and bytes behind', sides).action(
    async (source: string | undefined, targets: string[], opts) => {
      deps.setResult(await runSelectionCheck('rpo', { source, targets, opts, globals: globals(), ctx }));
    },
  );

  sub('divergence', 'classify each replica: in sync, behind, modified, newer, diverged, no common snapshot, two primaries', sides).action(
    async (source: string | undefined, targets: string[], opts) => {
      deps.setResult(await runSelectionCheck('divergence', { source, targets, opts, globals: globals(), ctx }));
    },
  );

  sub(
    'job',
    'the sync job from its state file: last success per target, failures in a row, a run holding the lock, conflicts, partial receives, unprotected common snapshots',
    sides,
  ).action(async (source: string | undefined, targets: string[], opts) => {
    deps.setResult(await runSelectionCheck('job', { source, targets, opts, globals: globals(), ctx }));
  });

  const poolCheck = (name: 'health' | 'capacity', description: string): Command =>
    sub(name, description, (c) => c.argument('[pools...]', 'pools to check (default: all imported pools)')).action(async (pools: string[], opts) => {
      const { runPoolCheck } = await import('../../app/check-pools.js');
      await setResult(
        name,
        opts,
        opts.hostname ?? 'local',
        pools.length > 0 ? pools.join(' ') : '*',
        await runPoolCheck(name, { pools, opts, globals: globals(), ctx }),
      );
    });
  poolCheck('health', 'pool state, vdev errors, data errors, resilvering');
  poolCheck('capacity', 'percent of each pool allocated');

  // Owned by the retention part (src/checks/gaps.ts).
  sub('gaps', 'snapshots present vs the slots the retention policy should keep: missing slots, over-retention, future-dated names', (c) =>
    c.argument('[datasets...]', 'only the snapshots: entries covering these datasets (default: every entry and job target)'),
  ).action(async (datasets: string[], opts) => {
    const { runGapsCheck } = await import('../../app/check-gaps.js');
    await setResult(
      'gaps',
      opts,
      Array.isArray(opts.job) && opts.job.length > 0 ? opts.job.join(',') : 'all',
      datasets.length > 0 ? datasets.join(' ') : '*',
      await runGapsCheck({ datasets, opts, globals: globals(), ctx }),
    );
  });
};
