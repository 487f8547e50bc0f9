// `zfailover check <name>`: the Nagios/Icinga plugins (also installed as check_zfs_<name>). Registration only
// declares options; each check's code loads on use, so a plugin run pays start-up for that check alone.
import type { CommandResult } from '../../outcome.js';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandDeps } from './deps.js';
import { configure } from './deps.js';
import { VERSION } from '../../version.js';
import { collect, durationOption, nowOption, portOption } from '../options.js';
import { addPluginOptions, type MetricKind } from '../plugin-options.js';
import { countValue } from '../../plugin/values.js';
import { checkAlertKind, runSelectionCheck } from './check-run.js';

const countOption =
  (min: number) =>
  (v: string): number => {
    const n = countValue(min, v);
    if (n === null) throw new InvalidArgumentError(`not a whole number >= ${min}: '${v}'`);
    return n;
  };

/** Options every check accepts after its name, so a plugin executable takes them like any other flag. */
const common = (cmd: Command, kind: MetricKind, metric: string, defaults: { warning?: string; critical?: string }, version: string): Command =>
  addPluginOptions(cmd, { kind, metric, defaults, version })
    .option('--config <file>', 'config file (default /etc/zfailover/zfailover.yml)')
    .option('--state-dir <dir>', 'state directory (default /var/lib/zfailover, or state_dir in the config)')
    .option('--max-lines <n>', 'long output lines at most (default 100; Monit keeps 512 bytes in all)', countOption(0));

/** SOURCE TARGET... / --job / --all, and the ssh flags of `zfailover sync`. */
const selection = (cmd: Command): Command =>
  cmd
    .argument('[source]', 'source dataset: pool/ds or [user@]host[:port]:pool/ds')
    .argument('[targets...]', 'target dataset(s), as for zfailover sync')
    .option('--job <name>', 'check the job NAME from the config; repeatable', collect)
    .option('--all', 'check every job in the config')
    .option('-r, --recursive', 'ad hoc: the whole tree below SOURCE')
    .option('--exclude <dataset>', 'ad hoc: leave out this dataset (and its children); repeatable', collect)
    .option('--id <name>', 'ad hoc: job name used by zfailover sync --id')
    .option('--ssh-key <file>', 'ssh identity file')
    .option('--ssh-port <port>', 'ssh port when the side gives none', portOption)
    .option('--ssh-option <opt>', 'extra ssh -o option, e.g. UserKnownHostsFile=FILE; repeatable', collect);

export const registerCheck = (program: Command, deps: CommandDeps): void => {
  const { ctx, globals } = deps;
  // A check result goes to zfailover's alert book only with `checks.send_alerts: true` (the producer decides);
  // rpo, divergence and job do the same in runSelectionCheck, which the plugins' fast path also runs.
  const setResult = async (kind: string, opts: Parameters<typeof checkAlertKind>[1], job: string, subject: string, r: CommandResult): Promise<void> => {
    const { alertResult } = await import('../../app/alert-producer.js');
    deps.setResult(await alertResult({ source: 'check', kind: checkAlertKind(kind, opts), job, subject }, r, globals(), ctx));
  };
  const version = `${ctx.programName} ${VERSION}`;
  const check = configure(program.command('check').description('Nagios/Icinga/Monit checks (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)'), ctx);
  const sub = (name: string, description: string): Command => {
    const cmd = configure(check.command(name).description(description), ctx);
    // Run as check_zfs_<name>, the help shows that name alone, not `check_zfs_<name> check <name>`.
    if (ctx.programName === `check_zfs_${name}`) cmd.configureHelp({ commandUsage: (c) => `${ctx.programName} ${c.usage()}` });
    return cmd;
  };

  common(
    selection(sub('rpo', 'age of the newest replica snapshot whose GUID the source has, snapshots and bytes behind')),
    'duration',
    'the rpo',
    { warning: '30s', critical: '2m' },
    version,
  )
    .option('--no-estimate', 'do not run zfs send -nvP to estimate pending bytes')
    .action(async (source: string | undefined, targets: string[], opts) => {
      deps.setResult(await runSelectionCheck('rpo', { source, targets, opts, globals: globals(), ctx }));
    });

  common(
    selection(sub('divergence', 'classify each replica: in sync, behind, modified, newer, diverged, no common snapshot, two primaries')),
    'count',
    'snapshots behind',
    {},
    version,
  ).action(async (source: string | undefined, targets: string[], opts) => {
    deps.setResult(await runSelectionCheck('divergence', { source, targets, opts, globals: globals(), ctx }));
  });

  common(
    selection(sub('job', 'the sync job from its state file: last success per target, failures in a row, a run holding the lock, conflicts, partial receives, unprotected common snapshots')),
    'duration',
    'the age of the last successful sync',
    { warning: '2m', critical: '10m' },
    version,
  )
    .option('--failures-warning <n>', 'WARNING from this many failed runs in a row (default 3)', countOption(1))
    .option('--failures-critical <n>', 'CRITICAL from this many failed runs in a row (default: none)', countOption(1))
    .option('--max-runtime <duration>', 'WARNING when a run holds the lock, or a partial receive waits, longer (default 15m)', durationOption)
    .option('--prune-horizon <duration>', 'WARNING when an unprotected common snapshot leaves its retention policy within this time (default 1h)', durationOption)
    .option('--no-zfs', 'read only the state file and lock; do not list the datasets')
    .action(async (source: string | undefined, targets: string[], opts) => {
      deps.setResult(await runSelectionCheck('job', { source, targets, opts, globals: globals(), ctx }));
    });

  const poolCheck = (name: 'health' | 'capacity', cmd: Command): Command =>
    cmd
      .argument('[pools...]', 'pools to check (default: all imported pools)')
      .option('-H, --hostname <host>', 'check the pools of [user@]host[:port] over ssh (default: this host)')
      .option('--ssh-key <file>', 'ssh identity file')
      .option('--ssh-port <port>', 'ssh port when --hostname gives none', portOption)
      .option('--ssh-option <opt>', 'extra ssh -o option; repeatable', collect)
      .action(async (pools: string[], opts) => {
        const { runPoolCheck } = await import('../../app/check-pools.js');
        await setResult(name, opts, opts.hostname ?? 'local', pools.length > 0 ? pools.join(' ') : '*', await runPoolCheck(name, { pools, opts, globals: globals(), ctx }));
      });

  poolCheck(
    'health',
    common(sub('health', 'pool state, vdev errors, data errors, resilvering'), 'count', 'vdev read/write/checksum errors per pool', { warning: '0' }, version).option(
      '--degraded-is-critical',
      'report a DEGRADED pool as CRITICAL (default WARNING: still serving, redundancy lost)',
    ),
  );
  poolCheck('capacity', common(sub('capacity', 'percent of each pool allocated'), 'percent', 'percent used', { warning: '80', critical: '90' }, version));

  // Owned by the retention part (src/checks/gaps.ts).
  common(sub('gaps', 'snapshots present vs the slots the retention policy should keep: missing slots, over-retention, future-dated names'), 'count', 'missing slots', { warning: '0' }, version)
    .argument('[datasets...]', 'only the snapshots: entries covering these datasets (default: every entry and job target)')
    .option('--job <name>', 'only this job\'s source and targets; repeatable', collect)
    .option('--grace <duration>', 'how long a slot may stay empty, and a dropped snapshot linger (default 10m)', durationOption)
    .addOption(nowOption())
    .action(async (datasets: string[], opts) => {
      const { runGapsCheck } = await import('../../app/check-gaps.js');
      await setResult('gaps', opts, Array.isArray(opts.job) && opts.job.length > 0 ? opts.job.join(',') : 'all', datasets.length > 0 ? datasets.join(' ') : '*', await runGapsCheck({ datasets, opts, globals: globals(), ctx }));
    });
};
