// The contenders, each as one timed run: zfailover (the built bin, a job from a config file, as Monit runs it),
// syncoid (aligned to a fresh second, failures retried and counted apart), and the raw zfs pipes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BASE_PATH, bash, progress, run, sleep } from './proc.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ZFAILOVER = `${ROOT}bin/zfailover`;
export const SYNCOID = '/usr/sbin/syncoid';
const ENV = { PATH: BASE_PATH, LC_ALL: 'C', HOME: '/root' };

/** `prefix` (e.g. strace's argv) runs the command untimed for CPU; without it /usr/bin/time measures it. */
const wrapped = (prefix, file, args) =>
  prefix.length === 0
    ? run(file, args, { env: ENV, timeoutMs: 900_000 })
    : run(prefix[0], [...prefix.slice(1), file, ...args], { env: ENV, cpu: false, timeoutMs: 900_000 });

/**
 * Config for a set of jobs: `{name: {source, target, recursive}}`. The file is what an operator would write;
 * `ssh` holds the key, the pinned known_hosts and how long zfailover keeps its ssh master between runs.
 */
export const writeConfig = (file, { stateDir, ssh, jobs }) => {
  const lines = ['version: 1', `state_dir: ${stateDir}`, 'ssh:', `  key: ${ssh.keyFile}`, `  control_persist: ${ssh.controlPersist ?? '60s'}`, '  options:'];
  for (const o of ssh.options) lines.push(`    - ${o}`);
  lines.push('jobs:');
  for (const [name, j] of Object.entries(jobs)) {
    lines.push(`  ${name}:`, `    source: ${j.source}`, `    targets: [${j.target}]`);
    if (j.recursive) lines.push('    recursive: true');
  }
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
};

/**
 * One `zfailover sync --job NAME [args]` run (args: e.g. `--concurrency 4`). ok needs exit 0 and an OK status line (or an OK JSON report).
 * With json, `report` is the parsed job report (steps with bytes and durationMs).
 */
export const zfailoverSync = async (config, job, { json = false, prefix = [], args = [] } = {}) => {
  const r = await wrapped(prefix, ZFAILOVER, ['--config', config, ...(json ? ['--json'] : []), 'sync', '--job', job, ...args]);
  let report = null;
  let line = r.stdout.split('\n')[0] ?? '';
  if (json) {
    try {
      const parsed = JSON.parse(r.stdout);
      report = parsed.report;
      line = `${parsed.state}: ${parsed.summary}`;
    } catch {
      line = `unparsable --json output: ${r.stdout.slice(0, 200)}`;
    }
  }
  const ok = r.code === 0 && line.startsWith('OK:');
  return { ...r, ok, line, report, detail: ok ? line : `${line} ${r.stderr.trim().slice(-300)}` };
};

/** Data-path time and bytes of a zfailover report: the send|recv steps only. */
export const transferSteps = (report) => {
  const steps = (report?.targets ?? [])
    .flatMap((t) => t.datasets.flatMap((d) => d.steps))
    .filter((s) => s.kind === 'full' || s.kind === 'incremental' || s.kind === 'resume');
  return {
    count: steps.length,
    durationMs: steps.reduce((s, x) => s + (x.durationMs ?? 0), 0),
    bytes: steps.reduce((s, x) => s + (x.bytes ?? 0), 0),
    commands: steps.map((s) => s.command),
  };
};

// syncoid names its sync snapshot and its ssh ControlMaster socket to the second: a run that starts in the
// second the previous one ended in can collide with it. Waiting for a fresh second (untimed) avoids that.
let lastSyncoidEnd = 0;
const freshSecond = async () => {
  for (;;) {
    const now = Date.now();
    if (Math.floor(now / 1000) > Math.floor(lastSyncoidEnd / 1000)) return;
    await sleep(1000 - (now % 1000) + 20);
  }
};

/** One successful syncoid run (up to 3 attempts); failed attempts are returned apart and never timed. */
/** syncoid's flags for reaching a host the way zfailover's config does: port, key, each ssh -o option. */
export const syncoidSshArgs = ({ port, keyFile, options }) => ['--sshport', String(port), '--sshkey', keyFile, ...options.flatMap((o) => ['--sshoption', o])];

export const syncoid = async (args, { prefix = [] } = {}) => {
  const failures = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    await freshSecond();
    const r = await wrapped(prefix, SYNCOID, args);
    lastSyncoidEnd = Date.now();
    if (r.code === 0) return { ...r, ok: true, failures, detail: '' };
    const why = `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' / ').slice(0, 300)}`;
    failures.push(why);
    progress(`  syncoid ${args.slice(-2).join(' ')} failed (${why}); retrying in a new second`);
  }
  return { ok: false, failures, detail: failures.at(-1), wallMs: NaN, cpuMs: NaN };
};

/** `zfs send -I from to | [ssh ...] zfs recv target`, exactly as an operator types it (bash joins the pipe). */
export const rawPipe = (from, to, target, sshArgv = null) => {
  const args = [from, to, target, ...(sshArgv ?? [])];
  const script = sshArgv ? 'zfs send -I "$1" "$2" | "${@:4}" zfs recv "$3"' : 'zfs send -I "$1" "$2" | zfs recv "$3"';
  const display = `zfs send -I ${from} ${to} | ${sshArgv ? `${sshArgv.join(' ')} ` : ''}zfs recv ${target}`;
  return bash(script, args, { env: ENV, timeoutMs: 900_000 }).then((r) => ({ ...r, ok: r.code === 0, display, detail: r.stderr.trim().slice(-300) }));
};

/** Baseline for "node's own start-up": a node process that does nothing. */
export const nodeNothing = () => run(process.execPath, ['-e', '0'], { env: ENV }).then((r) => ({ ...r, ok: r.code === 0, detail: '' }));
