// Processes one cycle spawns, counted with strace (execve, successful ones only): on this host from the tool's
// own process tree, and on the "remote" side by attaching to a private sshd and every connection it serves
// (zfailover's ssh master connection predates the run, so its session tree must be attached to as well).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { descendantsOf, sleep } from './proc.mjs';

const STRACE = '/usr/bin/strace';

/**
 * strace argv prefix for the local process tree, writing to file: execs and exits with timestamps (for the
 * timeline), stopping only at those calls (seccomp-bpf), so the traced run stays close to an untraced one.
 */
export const straceLocal = (file) => [STRACE, '-f', '-qq', '--seccomp-bpf', '-ttt', '-e', 'trace=execve,exit_group', '-s', '200', '-o', file];

/** Attach to an sshd listener and its connections; returns stop() -> trace file path. */
export const attachRemote = async (sshdPid, file) => {
  const pids = descendantsOf(sshdPid);
  const child = spawn(STRACE, ['-f', '-qq', '-e', 'trace=execve', '-s', '200', '-o', file, ...pids.flatMap((p) => ['-p', String(p)])], {
    stdio: 'ignore',
    detached: true,
  });
  // Wait until every pid shows a tracer, so no early exec is missed.
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    if (pids.every((p) => tracedOrGone(p))) break;
  }
  return async () => {
    await sleep(1000); // sessions finishing after the client returned
    const done = new Promise((r) => child.once('close', r));
    child.kill('SIGINT');
    await Promise.race([done, sleep(5000)]);
    return file;
  };
};

const tracedOrGone = (pid) => {
  try {
    return !/^TracerPid:\s+0$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
};

// `PID [TIME] execve("path", ["argv0", ...], ...) = 0`, split by -f into `<unfinished ...>` and `resumed` lines.
const START = /^(\d+)\s+(?:([\d.]+)\s+)?execve\("([^"]*)", \[(.*?)\](?:, .*)?$/;
const RESUMED = /^(\d+)\s+(?:([\d.]+)\s+)?<\.\.\. execve resumed>.*= (-?\d+)/;
const EXIT = /^(\d+)\s+(?:([\d.]+)\s+)?exit_group\(/;

/** Successful execs in a trace, in order: [{pid, prog, argv, start, end}] (times in s when traced with -ttt). */
export const parseTrace = (file) => {
  const pending = new Map();
  const current = new Map(); // pid -> its running exec
  const done = [];
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return done;
  }
  const began = (pid, entry, t) => {
    if (current.has(pid)) current.get(pid).end = t; // exec replaced the previous program (env -> node)
    entry.start = t;
    entry.end = null;
    done.push(entry);
    current.set(pid, entry);
  };
  for (const line of text.split('\n')) {
    const m = START.exec(line);
    if (m) {
      const entry = { pid: Number(m[1]), prog: m[3].split('/').pop(), argv: [...m[4].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]) };
      if (line.includes('<unfinished ...>')) pending.set(m[1], entry);
      else if (/\) = 0$/.test(line)) began(m[1], entry, Number(m[2] ?? NaN));
      continue;
    }
    const r = RESUMED.exec(line);
    if (r && pending.has(r[1])) {
      if (r[3] === '0') began(r[1], pending.get(r[1]), Number(r[2] ?? NaN));
      pending.delete(r[1]);
      continue;
    }
    const x = EXIT.exec(line);
    if (x && current.has(x[1])) {
      current.get(x[1]).end = Number(x[2] ?? NaN);
      current.delete(x[1]);
    }
  }
  return done;
};

/**
 * Where a traced run's wall time went: before the first zfs/zpool/ssh call (start-up, config...), with at least
 * one such call running, and the rest (the tool's own work between calls). ms; null without timestamps.
 */
export const timeline = (execs) => {
  const first = execs[0];
  const last = execs.filter((e) => e.pid === first?.pid).at(-1);
  if (!first || !Number.isFinite(first.start) || !Number.isFinite(last.end)) return null;
  const root = { start: first.start, end: last.end };
  const calls = execs.filter((e) => ['zfs', 'zpool', 'ssh'].includes(e.prog) && Number.isFinite(e.start) && Number.isFinite(e.end));
  const spans = calls.map((e) => [e.start, e.end]).sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let until = -Infinity;
  for (const [a, b] of spans) {
    if (b <= until) continue;
    busy += b - Math.max(a, until);
    until = b;
  }
  const total = root.end - root.start;
  const beforeFirst = calls.length ? Math.min(...calls.map((e) => e.start)) - root.start : total;
  const ms = (x) => Math.round(x * 10000) / 10;
  return { totalMs: ms(total), beforeFirstCallMs: ms(beforeFirst), inCallsMs: ms(busy), ownWorkMs: ms(total - busy - beforeFirst) };
};

/** {total, byProgram: {zfs: n, ...}, calls: [argv...], timeline} of a trace; the trace file is removed. */
export const summarize = (file) => {
  const execs = parseTrace(file);
  rmSync(file, { force: true });
  const tl = timeline(execs);
  const byProgram = {};
  for (const e of execs) byProgram[e.prog] = (byProgram[e.prog] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(byProgram).sort((a, b) => b[1] - a[1]));
  const calls = execs.filter((e) => ['zfs', 'zpool', 'ssh'].includes(e.prog)).map((e) => e.argv.join(' ').slice(0, 160));
  // zfs/zpool subcommands, wherever they run: directly, through `sh -c`, or as ssh's remote command.
  const verbs = {};
  for (const e of execs) {
    const words =
      e.prog === 'zfs' || e.prog === 'zpool' ? e.argv : e.prog === 'ssh' ? (e.argv.at(-1) ?? '').split(/[\s;|]+/).map((w) => w.replace(/^'+|'+$/g, '')) : [];
    for (let i = 0; i < words.length - 1; i++) {
      if (!/(^|\/)(zfs|zpool)$/.test(words[i]) || !/^[a-z]+$/.test(words[i + 1])) continue;
      const k = `${words[i].split('/').pop()} ${words[i + 1]}`;
      verbs[k] = (verbs[k] ?? 0) + 1;
    }
  }
  return { total: execs.length, byProgram: sorted, calls, zfsVerbs: Object.fromEntries(Object.entries(verbs).sort((a, b) => b[1] - a[1])), timeline: tl };
};

/** `45 (14 zfs, 2 zpool, 21 sh, ...)` */
export const formatCounts = (s) => {
  if (!s) return '-';
  const top = Object.entries(s.byProgram)
    .slice(0, 6)
    .map(([p, n]) => `${n} ${p}`)
    .join(', ');
  return `${s.total} (${top})`;
};
