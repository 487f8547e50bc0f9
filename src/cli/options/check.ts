// Every option of every check (`zfailover check <name>`, `check_zfs_<name>`), declared once as data. Commander's
// commands (cli/commands/check.ts) are built from CHECKS; the plugins' commander-free parser (cli/fast-check.ts)
// takes fastView of the same declarations; the sudo allow-list (cli/restricted.ts) takes those marked sudo.
// A new check option is one more entry here, and nothing else. test/unit/cli/option-tables.test.ts holds it so.
import { DEFAULT_TIMEOUT_SEC, type MetricKind } from '../../plugin/values.js';
import { CONFIG, PATH_GLOBALS, STATE_DIR, VERSION_OPTION } from './global.js';
import { NOW, SSH_KEY, SSH_OPTION, SSH_PORT, SSH_SIDE } from './shared.js';
import type { OptionSpec } from './spec.js';
import { countOf, durationValue, rangeOf, timeoutSeconds } from './values.js';

export type CheckName = 'rpo' | 'divergence' | 'job' | 'health' | 'capacity' | 'gaps';
/** The checks of a job or an ad-hoc pair (their action is runSelectionCheck): the ones with a fast path. */
export type SelectionCheck = 'rpo' | 'divergence' | 'job';
export const SELECTION_CHECKS: readonly SelectionCheck[] = ['rpo', 'divergence', 'job'];

export interface CheckTable {
  /** In commander's order (the help's order, and the order of the option values' keys). */
  readonly options: readonly OptionSpec[];
  /** Its positionals (pools, datasets) only filter what the config names: a plugin run by sudo may take them. */
  readonly sudoPositionals: boolean;
}

const EXAMPLES: Readonly<Record<MetricKind, string>> = {
  duration: 'e.g. 30s, 15m, 2h, 1d, ~:2h, @1h:2h; a bare number is seconds',
  size: 'e.g. 10G, 500M:, @1G:2G; a bare number is bytes',
  count: 'e.g. 10, 10:, ~:10, 10:20, @10:20',
  percent: 'e.g. 80, 80%, ~:90',
};
const SAMPLE: Readonly<Record<MetricKind, string>> = { duration: '90s', size: '10G', count: '5', percent: '80' };

interface Defaults {
  readonly warning?: string;
  readonly critical?: string;
}
/**
 * The plugin options every check has: -w/-c for its main metric, -t/--timeout, -V/--version; then paths, --max-lines.
 * -w/-c's defaults are named in the help only: they apply later, after the config's `checks:` section.
 */
const common = (kind: MetricKind, metric: string, defaults: Defaults): OptionSpec[] => {
  const dflt = (v: string | undefined): string => (v ? `; default ${v}` : '');
  return [
    {
      flags: '-w, --warning <range>',
      description: `warning range for ${metric} (${EXAMPLES[kind]}${dflt(defaults.warning)})`,
      parse: rangeOf(kind),
      sudo: true,
      example: SAMPLE[kind],
    },
    {
      flags: '-c, --critical <range>',
      description: `critical range for ${metric}${dflt(defaults.critical)}`,
      parse: rangeOf(kind),
      sudo: true,
      example: `~:${SAMPLE[kind]}`,
    },
    {
      flags: '-t, --timeout <duration>',
      description: `give up with UNKNOWN after this long, killing pending zfs/ssh (default ${DEFAULT_TIMEOUT_SEC}s)`,
      parse: timeoutSeconds,
      sudo: true,
      example: '20s',
    },
    VERSION_OPTION,
    CONFIG,
    STATE_DIR,
    {
      flags: '--max-lines <n>',
      description: 'long output lines at most (default 100; Monit keeps 512 bytes in all)',
      parse: countOf(0),
      sudo: true,
      example: '5',
    },
  ];
};

const JOB: OptionSpec = { flags: '--job <name>', description: 'check the job NAME from the config; repeatable', repeatable: true, sudo: true, example: 'data' };
const ALL: OptionSpec = { flags: '--all', description: 'check every job in the config', sudo: true };
/** The options of an ad-hoc pair (SOURCE TARGET...): left to commander, as the positionals they go with. */
export const AD_HOC: readonly OptionSpec[] = [
  { flags: '-r, --recursive', description: 'ad hoc: the whole tree below SOURCE' },
  { flags: '--exclude <dataset>', description: 'ad hoc: leave out this dataset (and its children); repeatable', repeatable: true, example: 'tank/tmp' },
  { flags: '--id <name>', description: 'ad hoc: job name used by zfailover sync --id', example: 'pair' },
  ...SSH_SIDE,
];
const SELECTION: readonly OptionSpec[] = [JOB, ALL, ...AD_HOC];

/** The pool checks' remote host and its ssh flags. */
const POOL_HOST: readonly OptionSpec[] = [
  { flags: '-H, --hostname <host>', description: 'check the pools of [user@]host[:port] over ssh (default: this host)', example: 'root@backup' },
  SSH_KEY,
  { ...SSH_PORT, description: 'ssh port when --hostname gives none' },
  { ...SSH_OPTION, description: 'extra ssh -o option; repeatable' },
];

/** A check's table: the options before the common ones, the common ones, the check's own. */
const table = (
  kind: MetricKind,
  metric: string,
  defaults: Defaults,
  before: readonly OptionSpec[],
  own: readonly OptionSpec[],
  sudoPositionals = false,
): CheckTable => ({
  options: [...before, ...common(kind, metric, defaults), ...own],
  sudoPositionals,
});

export const CHECKS: Readonly<Record<CheckName, CheckTable>> = {
  rpo: table('duration', 'the rpo', { warning: '30s', critical: '2m' }, SELECTION, [
    { flags: '--no-estimate', description: 'do not run zfs send -nvP to estimate pending bytes', sudo: true },
  ]),
  divergence: table('count', 'snapshots behind', {}, SELECTION, []),
  job: table('duration', 'the age of the last successful sync', { warning: '2m', critical: '10m' }, SELECTION, [
    { flags: '--failures-warning <n>', description: 'WARNING from this many failed runs in a row (default 3)', parse: countOf(1), sudo: true, example: '2' },
    {
      flags: '--failures-critical <n>',
      description: 'CRITICAL from this many failed runs in a row (default: none)',
      parse: countOf(1),
      sudo: true,
      example: '5',
    },
    {
      flags: '--max-runtime <duration>',
      description: 'WARNING when a run holds the lock, or a partial receive waits, longer (default 15m)',
      parse: durationValue,
      sudo: true,
      example: '30m',
    },
    {
      flags: '--prune-horizon <duration>',
      description: 'WARNING when an unprotected common snapshot leaves its retention policy within this time (default 1h)',
      parse: durationValue,
      sudo: true,
      example: '2h',
    },
    { flags: '--no-zfs', description: 'read only the state file and lock; do not list the datasets', sudo: true },
  ]),
  health: table(
    'count',
    'vdev read/write/checksum errors per pool',
    { warning: '0' },
    [],
    [
      { flags: '--degraded-is-critical', description: 'report a DEGRADED pool as CRITICAL (default WARNING: still serving, redundancy lost)', sudo: true },
      ...POOL_HOST,
    ],
    true,
  ),
  capacity: table('percent', 'percent used', { warning: '80', critical: '90' }, [], POOL_HOST, true),
  gaps: table(
    'count',
    'missing slots',
    { warning: '0' },
    [],
    [
      { flags: '--job <name>', description: "only this job's source and targets; repeatable", repeatable: true, sudo: true, example: 'data' },
      {
        flags: '--grace <duration>',
        description: 'how long a slot may stay empty, and a dropped snapshot linger (default 10m)',
        parse: durationValue,
        sudo: true,
        example: '20m',
      },
      NOW,
    ],
    true,
  ),
};

/**
 * What the plugins' fast path (cli/fast-check.ts) takes after `check <name>`: every option of the check except the
 * ad-hoc ones (they go with SOURCE TARGET, which it leaves to commander), the program's paths (read as globals,
 * wherever they stand, as commander does) and --version.
 */
export const fastView = (name: SelectionCheck): readonly OptionSpec[] =>
  CHECKS[name].options.filter((s) => !AD_HOC.includes(s) && !PATH_GLOBALS.includes(s) && !s.version);
