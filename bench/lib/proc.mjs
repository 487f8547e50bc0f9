// Child processes for the bench: argument arrays only, wall time from hrtime, CPU time of the process tree from
// /usr/bin/time, each child in its own process group so an interrupted bench can stop exactly what it started.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
export const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Children still running (pid -> argv), killed by group on an interrupt. */
const live = new Map();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const started = Date.now();
/** Progress goes to stderr with the elapsed time, so stdout keeps only the final table. */
export const progress = (text) => {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[${s}s] ${text}\n`);
};

/** Cumulative CPU ticks of every qemu-system process: a busy VM on this host is the main source of noise. */
export const qemuTicks = () => {
  let t = 0;
  for (const pid of childPidsOf(null)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!comm.startsWith('qemu-system')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended while we read it
    }
  }
  return t;
};
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export const loadavg1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/**
 * Run one command to completion. Returns {code, signal, stdout, stderr, wallMs, cpuMs, load1, qemuCores}.
 * cpuMs is user+sys of the command and the descendants it waited for (null without /usr/bin/time);
 * qemuCores is how many cores qemu VMs burnt meanwhile (a noisy-neighbour marker).
 */
export const run = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const timeFile = TIME && opts.cpu !== false ? `/tmp/zfo-bench-time-${process.pid}-${randomBytes(4).toString('hex')}` : null;
    const argv = timeFile ? [TIME, '-f', '%U %S', '-o', timeFile, file, ...args] : [file, ...args];
    const q0 = qemuTicks();
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), {
      env: opts.env ?? { ...process.env, PATH: BASE_PATH, LC_ALL: 'C' },
      cwd: opts.cwd ?? '/',
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    live.set(child.pid, argv);
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    if (opts.input !== undefined) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
    const timer = opts.timeoutMs ? setTimeout(() => killGroup(child.pid, 'SIGKILL'), opts.timeoutMs) : null;
    child.on('error', (e) => {
      live.delete(child.pid);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const qemuCores = (qemuTicks() - q0) / CLK_TCK / (wallMs / 1000);
      if (timer) clearTimeout(timer);
      live.delete(child.pid);
      let cpuMs = null;
      if (timeFile) {
        try {
          const m = /([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
          if (m) cpuMs = (Number(m[1]) + Number(m[2])) * 1000;
        } catch {
          // killed before time wrote its line
        }
        rmSync(timeFile, { force: true });
      }
      resolve({
        argv: [file, ...args],
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        wallMs,
        cpuMs,
        load1: loadavg1(),
        qemuCores,
      });
    });
  });

/** Like run, but throws with the command and its stderr when it does not exit 0. */
export const must = async (file, args, opts = {}) => {
  // Fixture commands get a generous deadline: a wedged zfs-fuse must fail the bench, not hang it forever.
  const r = await run(file, args, { cpu: false, timeoutMs: 600_000, ...opts });
  if (r.code !== 0) throw new Error(`${[file, ...args].join(' ').slice(0, 300)}: exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(-600)}`);
  return r;
};

/** Run through bash only where a shell pipeline *is* the thing measured (the raw baselines); the script is ours. */
export const bash = (script, args = [], opts = {}) => run('/bin/bash', ['-c', `set -o pipefail; ${script}`, 'bench', ...args], opts);

export const killGroup = (pid, sig = 'SIGTERM') => {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
};

/** Stop every child this bench started and that still runs (their process groups, by id). */
export const killLiveChildren = async () => {
  for (const pid of live.keys()) killGroup(pid, 'SIGTERM');
  for (let i = 0; i < 20 && live.size > 0; i++) await sleep(100);
  for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
};

/** Children of pid (all processes when pid is null), from /proc. */
export const childPidsOf = (pid) => {
  if (pid === null) {
    return readdirNumeric('/proc');
  }
  const kids = [];
  for (const task of readdirNumeric(`/proc/${pid}/task`)) {
    try {
      kids.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone
    }
  }
  return kids;
};

/** pid and all its descendants. */
export const descendantsOf = (pid) => {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childPidsOf(all[i]));
  return all;
};

const readdirNumeric = (dir) => {
  try {
    return readdirSync(dir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
};
