// Debian's monit in the foreground with a private control file, for tests of the Monit lines we ship: start it
// with `check program` services, poll `monit -B status <name>` until a condition holds, read the log, stop it.
// Facts this relies on (monitoring.md §1): the rc file must be mode <= 0700, the CLI needs an httpd unix socket
// with an `allow` line, results are collected one cycle after the program started, output is 512 bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { TEST_ROOT, uniqueName } from './zfs-fuse.js';

const MONIT = '/usr/bin/monit';

export const monitUnavailableReason = (): string | null => (existsSync(MONIT) ? null : 'monit is not installed (apt-get install monit)');

export interface MonitProgram {
  /** Service name (`check program <name>`). */
  readonly name: string;
  /** Absolute path of the executable, then its arguments (no spaces inside one argument: Monit splits on them). */
  readonly argv: readonly string[];
  /** `with timeout N seconds` (Monit's default is 300). */
  readonly timeoutSec?: number;
  /** Rules under the check; default `if status != 0 then alert`. */
  readonly rules?: readonly string[];
}

export interface MonitStatus {
  /** `OK`, `Status failed`, `Initializing`, ... */
  readonly status: string;
  readonly lastExitValue: number | null;
  /** `last output`, continuation lines joined with '\n'. */
  readonly lastOutput: string | null;
  readonly raw: string;
}

export interface TestMonit {
  readonly dir: string;
  readonly rcFile: string;
  /** `monit -B status <name>` parsed, or null while Monit cannot answer yet. */
  status(name: string): Promise<MonitStatus | null>;
  /** Polls status until `pred` holds; throws with the last status and the log tail after `timeoutMs`. */
  waitFor(name: string, pred: (s: MonitStatus) => boolean, timeoutMs?: number): Promise<MonitStatus>;
  log(): string;
  stop(): Promise<void>;
}

export interface MonitOptions {
  readonly programs: readonly MonitProgram[];
  /** `set daemon N` (seconds); small for tests, 15 in the operator's setup. */
  readonly cycleSec?: number;
  /** Environment Monit runs with (it passes it through to programs, plus MONIT_SERVICE). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra global lines (e.g. `set mailserver 127.0.0.1 port N`). */
  readonly extra?: readonly string[];
  /** Control file text instead of the generated services (the header with log/socket is still generated). */
  readonly services?: string;
}

const USER = 'zfotest';
const PASSWORD = 'zfopw';

export const startMonit = async (opts: MonitOptions): Promise<TestMonit> => {
  const dir = `${TEST_ROOT}/${uniqueName('monit-')}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const rcFile = `${dir}/monitrc`;
  const services =
    opts.services ??
    opts.programs
      .map((p) =>
        [
          `check program ${p.name} with path "${p.argv.join(' ')}"${p.timeoutSec ? ` with timeout ${p.timeoutSec} seconds` : ''}`,
          ...(p.rules ?? ['if status != 0 then alert']).map((r) => `    ${r}`),
        ].join('\n'),
      )
      .join('\n\n');
  const rc = [
    `set daemon ${opts.cycleSec ?? 2}`,
    `set log ${dir}/monit.log`,
    `set pidfile ${dir}/monit.pid`,
    `set idfile ${dir}/monit.id`,
    `set statefile ${dir}/monit.state`,
    `set httpd unixsocket ${dir}/monit.sock permission 0600`,
    `    allow ${USER}:${PASSWORD}`,
    ...(opts.extra ?? []),
    '',
    services,
    '',
  ].join('\n');
  writeFileSync(rcFile, rc, { mode: 0o600 });
  const syntax = await execa(MONIT, ['-t', '-c', rcFile], { reject: false });
  if (syntax.exitCode !== 0) throw new Error(`monit rejects the control file: ${syntax.stdout} ${syntax.stderr}\n${rc}`);
  const child: ChildProcess = spawn(MONIT, ['-I', '-c', rcFile], { stdio: 'ignore', env: opts.env ?? process.env, cwd: dir });

  const status = async (name: string): Promise<MonitStatus | null> => {
    const r = await execa(MONIT, ['-c', rcFile, '-B', 'status', name], { reject: false });
    if (r.exitCode !== 0) return null;
    return parseMonitStatus(r.stdout);
  };
  const log = (): string => (existsSync(`${dir}/monit.log`) ? readFileSync(`${dir}/monit.log`, 'utf8') : '');
  return {
    dir,
    rcFile,
    status,
    log,
    async waitFor(name, pred, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let last: MonitStatus | null = null;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error(`monit exited (${child.exitCode}); log:\n${log().slice(-2000)}`);
        last = await status(name);
        if (last && pred(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`monit service ${name}: condition not met in ${timeoutMs} ms; last status:\n${last?.raw ?? '(none)'}\nlog:\n${log().slice(-2000)}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** `monit -B status NAME` output: `  key    value` lines, `last output` continued on indented lines. */
export const parseMonitStatus = (text: string): MonitStatus => {
  const fields = new Map<string, string>();
  let lastKey: string | null = null;
  for (const line of text.split('\n').slice(1)) {
    const m = /^ {2}(\S.*?)\s{2,}(.*)$/.exec(line);
    if (m) {
      lastKey = m[1] as string;
      fields.set(lastKey, m[2] as string);
    } else if (lastKey === 'last output' && /^\s{20,}\S/.test(line)) {
      fields.set(lastKey, `${fields.get(lastKey)}\n${line.trim()}`);
    } else lastKey = null;
  }
  const exit = fields.get('last exit value');
  return {
    status: fields.get('status') ?? '',
    lastExitValue: exit !== undefined && /^\d+$/.test(exit) ? Number(exit) : null,
    lastOutput: fields.get('last output') ?? null,
    raw: text,
  };
};
