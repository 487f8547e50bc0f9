// zfailover(8) and check_zfs_<name>(8), generated from the commander tree the program itself parses with: every
// command, argument and option, with the same descriptions, defaults and choices `--help` prints, so the pages
// cannot drift from the program.
import type { Command, Help } from 'commander';
import type { CliContext } from '../../app/context.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from '../../config/paths.js';
import { buildProgram } from '../program.js';
import { bold, flags, header, italic, paragraphs, section, subsection, tagged, text, wrapLines, type PageHead } from './roff.js';

const program = (programName: string): Command => {
  const ctx: CliContext = {
    out: { write: () => undefined },
    env: {},
    now: () => 0,
    signal: new AbortController().signal,
    programName,
    isTTY: false,
  };
  return buildProgram(ctx, () => undefined);
};

const find = (cmd: Command, name: string): Command => {
  const c = cmd.commands.find((x) => x.name() === name);
  if (!c) throw new Error(`no command '${name}' under '${cmd.name()}'`);
  return c;
};

const argumentsOf = (help: Help, cmd: Command): string[] =>
  help.visibleArguments(cmd).flatMap((a) => tagged(italic(help.argumentTerm(a)), text(help.argumentDescription(a))));

const optionsOf = (help: Help, cmd: Command): string[] =>
  help.visibleOptions(cmd).flatMap((o) => tagged(flags(help.optionTerm(o)), text(help.optionDescription(o))));

/** Each subcommand (depth first) as a .SS block: usage, description, arguments, options. */
const commandBlocks = (help: Help, cmd: Command): string[] =>
  help
    .visibleCommands(cmd)
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => {
      const hasSubs = c.commands.length > 0;
      return [
        subsection(`"${help.commandUsage(c).replace(/"/g, '')}"`),
        text(help.commandDescription(c)),
        ...argumentsOf(help, c),
        ...(hasSubs ? [] : optionsOf(help, c)),
        ...commandBlocks(help, c),
      ];
    });

const EXIT_STATUS = [
  section('EXIT STATUS'),
  ...paragraphs('Every executable prints one status line (STATE: text | perfdata), a few long-output lines, and exits:'),
  ...tagged(bold('0'), text('OK: done, nothing to do, or within the thresholds.')),
  ...tagged(bold('1'), text('WARNING: transient (another run holds the lock, a host is unreachable, a deadline was hit), or the warning threshold.')),
  ...tagged(bold('2'), text('CRITICAL: a conflict that needs a human, named with the command that resolves it, or the critical threshold.')),
  ...tagged(bold('3'), text('UNKNOWN: bad arguments or config, an internal error, --help, --version, or the data could not be read.')),
];

const FILES = [
  section('FILES'),
  ...tagged(italic(DEFAULT_CONFIG_PATH), text('The configuration, see zfailover.yml(5). Mode 0600: it may hold secrets.')),
  ...tagged(italic(DEFAULT_STATE_DIR), text('State: locks, replication cursors, ssh control sockets, the alert book (mode 0700).')),
  ...tagged(italic('/usr/lib/nagios/plugins/check_zfs_*'), text('The check plugins, for Nagios, Icinga and NRPE.')),
  ...tagged(italic('/usr/share/doc/zfailover/examples/'), text('Monit snippets, Nagios and Icinga definitions, an example configuration.')),
];

export interface ManPage {
  readonly file: string;
  readonly text: string;
}

const page = (head: PageHead, lines: readonly string[]): ManPage => ({
  file: `${head.name}.${head.section}`,
  text: wrapLines([...header(head), ...lines]),
});

/** The plugins: one executable per `zfailover check` subcommand. */
export const pluginNames = (): string[] => find(program('zfailover'), 'check').commands.map((c) => `check_zfs_${c.name()}`);

export const zfailoverPage = (opts: { date: string; version: string }): ManPage => {
  const p = program('zfailover');
  const help = p.createHelp();
  const plugins = pluginNames();
  return page({ name: 'zfailover', section: 8, date: opts.date, source: `zfailover ${opts.version}`, manual: 'System Administration' }, [
    section('NAME'),
    `zfailover \\- ${text(p.description())}`,
    section('SYNOPSIS'),
    `${bold('zfailover')} [${italic('global options')}] ${italic('command')} [${italic('options')}] [${italic('arguments')}]`,
    section('DESCRIPTION'),
    ...paragraphs(
      'zfailover keeps a ZFS standby current by incremental zfs send and receive, locally or over ssh, typically every 15 seconds under Monit. ' +
        'It sends only the increment from the newest snapshot both sides share (matched by GUID) and never destroys the last common snapshot.',
      'It also takes labelled snapshots with replication-aware retention (snapshot, prune), checks replication for Nagios, Icinga and Monit (check, and the check_zfs_* plugins), ' +
        'switches the primary over, takes over from a dead one and fails back (promote, demote, status), and sends email and SNMP alerts (alert).',
      `Jobs are defined in ${DEFAULT_CONFIG_PATH}, see zfailover.yml(5); most commands also run ad hoc from their arguments.`,
    ),
    section('GLOBAL OPTIONS'),
    ...paragraphs('These options apply to every command.'),
    ...optionsOf(help, p),
    section('COMMANDS'),
    ...commandBlocks(help, p),
    ...EXIT_STATUS,
    ...FILES,
    section('SEE ALSO'),
    [...plugins.map((n) => `${n}(8)`), 'zfailover.yml(5)', 'zfs(8)', 'zpool(8)', 'ssh(1)', 'monit(1)']
      .map((r) => bold(r.replace(/\(.*/, '')) + r.replace(/^[^(]*/, ''))
      .join(',\n'),
  ]);
};

export const pluginPage = (name: string, opts: { date: string; version: string }): ManPage => {
  const check = name.replace(/^check_zfs_/, '');
  const p = program(name);
  const cmd = find(find(p, 'check'), check);
  const help = cmd.createHelp();
  return page({ name, section: 8, date: opts.date, source: `zfailover ${opts.version}`, manual: 'System Administration' }, [
    section('NAME'),
    `${text(name)} \\- ${text(help.commandDescription(cmd))}`,
    section('SYNOPSIS'),
    `${bold(name)} [${italic('options')}]${help
      .visibleArguments(cmd)
      .map((a) => ` ${a.required ? '' : '['}${italic(`${a.name()}${a.variadic ? '...' : ''}`)}${a.required ? '' : ']'}`)
      .join('')}`,
    section('DESCRIPTION'),
    ...paragraphs(
      `${name} is a Nagios, Icinga and Monit plugin, the same as zfailover check ${check}. It prints one status line (STATE: text | perfdata) within 200 bytes, ` +
        'a few long-output lines, nothing on stderr, and stops itself at the timeout with UNKNOWN, killing its zfs and ssh children.',
      'Thresholds are Nagios ranges (-w 30s, -c 2m, @10:20); the ones left out come from checks: in the configuration, else the built-in defaults.',
    ),
    ...(help.visibleArguments(cmd).length > 0 ? [section('ARGUMENTS'), ...argumentsOf(help, cmd)] : []),
    section('OPTIONS'),
    ...optionsOf(help, cmd),
    ...EXIT_STATUS,
    ...FILES.slice(0, 7), // the config and the state directory
    section('SEE ALSO'),
    `${bold('zfailover')}(8), ${bold('zfailover.yml')}(5)`,
  ]);
};
