// The one builder of every command line zfailover prints for an operator to paste (fix: lines, hints, README
// table, mails, SNMP zfCommand): argument arrays in, POSIX sh words out, so names with blanks, quotes or `$(...)`
// reach zfs exactly as they are. Also builds "re-run this job" with every flag that shaped the job.

/**
 * Single-quote for POSIX sh: inside '...' nothing is special except the quote itself, which becomes '\''.
 * Plain words made only of safe characters stay bare (readable), everything else is quoted. A word starting
 * with `-` or `=` is quoted too (so a log reader never mistakes it for an option of the quoting itself).
 */
export const quoteArg = (s: string): string => {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) && !s.startsWith('-') && !s.startsWith('=')) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
};

/** Like quoteArg, but options (`--rollback-target`) stay bare: for sh a quoted and a bare safe word are the same. */
const quoteWord = (s: string): string => (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) && !s.startsWith('=') ? s : quoteArg(s));

/** One simple command as a sh line, for a person to read and paste. */
export const commandLine = (argv: readonly string[]): string => argv.map(quoteWord).join(' ');

/** `a | b` as a sh line. */
export const pipelineLine = (stages: readonly (readonly string[])[]): string => stages.map(commandLine).join(' | ');

/** Where a command runs: the local host, or a remote one reached by ssh with the job's settings. */
export interface CommandHost {
  readonly user?: string | undefined;
  readonly host: string;
  readonly port?: number | undefined;
}

export interface CommandSsh {
  readonly key?: string | undefined;
  /** Default port when the host gives none. */
  readonly port?: number | undefined;
  /** `-o` options (e.g. UserKnownHostsFile=...), as the job uses them. */
  readonly options?: readonly string[] | undefined;
}

/**
 * A sh line running `stages` on `host`: locally as is, remotely as `ssh ... HOST 'LINE'` (ssh joins its
 * arguments and hands them to the remote shell, so the remote line is quoted once more as one word).
 */
export const onHost = (host: CommandHost | null, ssh: CommandSsh, stages: readonly (readonly string[])[]): string => {
  const line = pipelineLine(stages);
  if (!host) return line;
  const port = host.port ?? ssh.port;
  const dest = `${host.user ? `${host.user}@` : ''}${host.host}`;
  const argv = [
    'ssh',
    ...(port !== undefined ? ['-p', String(port)] : []),
    ...(ssh.key !== undefined ? ['-i', ssh.key] : []),
    ...(ssh.options ?? []).flatMap((o) => ['-o', o]),
    dest,
  ];
  return `${commandLine(argv)} ${quoteArg(line)}`;
};

/**
 * The flags that shaped a job on the command line (ad-hoc sides and per-run overrides). `false` for a `--no-x`
 * flag means the operator gave it. Numbers are as parsed (bytes, seconds) and are printed so they parse back.
 */
export interface JobFlags {
  readonly recursive?: boolean | undefined;
  readonly exclude?: readonly string[] | undefined;
  readonly id?: string | undefined;
  readonly sshKey?: string | undefined;
  readonly sshPort?: number | undefined;
  readonly sshOption?: readonly string[] | undefined;
  readonly syncSnap?: boolean | undefined;
  readonly resume?: boolean | undefined;
  readonly bookmarks?: boolean | undefined;
  readonly holds?: boolean | undefined;
  readonly raw?: boolean | undefined;
  readonly compress?: string | undefined;
  readonly mbuffer?: boolean | undefined;
  readonly bwlimit?: number | undefined;
  readonly concurrency?: number | undefined;
  readonly initial?: string | undefined;
  readonly deadline?: number | undefined;
}

/** How this run was invoked: enough to print a command that acts on the same job. */
export interface JobInvocation {
  /** `--config`, absolute; undefined for the default path. */
  readonly config?: string | undefined;
  /** `--state-dir`, absolute; undefined for the default. */
  readonly stateDir?: string | undefined;
  /** Named job, or null for an ad-hoc one. */
  readonly job: string | null;
  /** Ad hoc: the sides as given to sync (source, then targets), formatted. */
  readonly sides: readonly string[];
  readonly flags: JobFlags;
}

export type Subcommand = 'sync' | 'demote' | 'promote' | 'status' | 'check';

/** Flags each subcommand accepts (the same names its commander declaration has). */
const ACCEPTS: Record<Subcommand, ReadonlySet<keyof JobFlags>> = {
  sync: new Set<keyof JobFlags>([
    'recursive',
    'exclude',
    'id',
    'sshKey',
    'sshPort',
    'sshOption',
    'syncSnap',
    'resume',
    'bookmarks',
    'holds',
    'raw',
    'compress',
    'mbuffer',
    'bwlimit',
    'concurrency',
    'initial',
    'deadline',
  ]),
  demote: new Set<keyof JobFlags>(['recursive', 'exclude', 'id', 'sshKey', 'sshPort', 'sshOption']),
  promote: new Set<keyof JobFlags>(['recursive', 'exclude', 'id', 'sshKey', 'sshPort', 'sshOption']),
  status: new Set<keyof JobFlags>(['recursive', 'sshKey', 'sshPort', 'sshOption']),
  check: new Set<keyof JobFlags>(['recursive', 'exclude', 'id', 'sshKey', 'sshPort', 'sshOption']),
};
/** Flags that define an ad-hoc job; a named job takes them from the config (resolveJob refuses them). */
const ADHOC_ONLY = new Set<keyof JobFlags>(['recursive', 'exclude', 'id']);

export const flagArgv = (f: JobFlags, accepts: ReadonlySet<keyof JobFlags>): string[] => {
  const on = (k: keyof JobFlags): boolean => accepts.has(k) && f[k] !== undefined;
  const out: string[] = [];
  if (on('recursive') && f.recursive) out.push('-r');
  if (on('exclude')) for (const e of f.exclude ?? []) out.push('--exclude', e);
  if (on('id')) out.push('--id', f.id as string);
  if (on('sshKey')) out.push('--ssh-key', f.sshKey as string);
  if (on('sshPort')) out.push('--ssh-port', String(f.sshPort));
  if (on('sshOption')) for (const o of f.sshOption ?? []) out.push('--ssh-option', o);
  if (on('syncSnap') && f.syncSnap === false) out.push('--no-sync-snap');
  if (on('resume') && f.resume === false) out.push('--no-resume');
  if (on('bookmarks') && f.bookmarks === false) out.push('--no-bookmarks');
  if (on('holds') && f.holds === false) out.push('--no-holds');
  if (on('raw')) out.push(f.raw ? '--raw' : '--no-raw');
  if (on('compress')) out.push('--compress', f.compress as string);
  if (on('mbuffer') && f.mbuffer) out.push('--mbuffer');
  if (on('bwlimit')) out.push('--bwlimit', String(f.bwlimit));
  if (on('concurrency')) out.push('--concurrency', String(f.concurrency));
  if (on('initial')) out.push('--initial', f.initial as string);
  if (on('deadline')) out.push('--deadline', `${f.deadline}s`);
  return out;
};

export interface CommandParts {
  /** Ad hoc: sides in the order this subcommand takes them (default: the invocation's). */
  readonly sides?: readonly string[];
  /** Named job: `--target ID` for a job with several targets. */
  readonly target?: string | undefined;
  /** Arguments after the job (e.g. `--rollback-target`, `--dry-run`). */
  readonly extra?: readonly string[];
}

/** argv of `zfailover [--config C] [--state-dir D] SUB... [flags] (--job NAME | SIDES...) [extra]`. */
export const zfailoverArgv = (inv: JobInvocation, sub: readonly [Subcommand, ...string[]], parts: CommandParts = {}): string[] => {
  const accepts = new Set([...ACCEPTS[sub[0]]].filter((k) => inv.job === null || !ADHOC_ONLY.has(k)));
  return [
    'zfailover',
    ...(inv.config !== undefined ? ['--config', inv.config] : []),
    ...(inv.stateDir !== undefined ? ['--state-dir', inv.stateDir] : []),
    ...sub,
    ...flagArgv(inv.flags, accepts),
    ...(inv.job !== null ? ['--job', inv.job, ...(parts.target !== undefined ? ['--target', parts.target] : [])] : (parts.sides ?? inv.sides)),
    ...(parts.extra ?? []),
  ];
};

export const zfailoverLine = (inv: JobInvocation, sub: readonly [Subcommand, ...string[]], parts: CommandParts = {}): string =>
  commandLine(zfailoverArgv(inv, sub, parts));

/**
 * A `fix:` line: a sh line an operator pastes as is, then `  # why` (a sh comment, so pasting the whole line
 * still runs exactly the command). Line breaks in `why` are folded: the comment must stay on the line.
 */
export const fixLine = (command: string, why?: string): string => (why ? `${command}  # ${why.replace(/\s*[\r\n]+\s*/g, ' ')}` : command);

/** Commands of a fix joined so that each runs only when the one before succeeded. */
export const andThen = (...lines: readonly string[]): string => lines.join(' && ');
