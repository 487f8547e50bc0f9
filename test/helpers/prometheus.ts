// Real Prometheus components for the metrics tests (Debian packages prometheus, prometheus-node-exporter,
// prometheus-alertmanager): each started on 127.0.0.1 with a free port and a private data directory, never as a
// system service, and polled until it answers. Waiting is always polling with a generous bound.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export { freePort };

export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

/** Why a test needing these binaries cannot run, or null. */
export const missingTools = (...bins: string[]): string | null => {
  const missing = bins.filter((b) => !existsSync(b));
  return missing.length === 0 ? null : `not installed: ${missing.join(', ')} (scripts/install-deps.sh installs them)`;
};

export const privateDir = (prefix: string): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Poll `probe` until it returns a value other than undefined; throws with `what` after `timeoutMs`. */
export const pollUntil = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 250): Promise<T> => {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

export const httpText = async (url: string): Promise<string> => {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
};

export interface Daemon {
  readonly url: string;
  readonly port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Start `bin` with the args `argsFor(port)` and wait until `readyPath` answers 200. A port taken between
 * freePort() and the bind makes the daemon exit: then another port is tried.
 */
export const startDaemon = async (bin: string, argsFor: (port: number) => string[], readyPath: string): Promise<Daemon> => {
  let lastOut = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let out = '';
    const child: ResultPromise = execa(bin, argsFor(port), { reject: false, all: true, buffer: false, stdin: 'ignore' });
    child.all?.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
    });
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    const up = await pollUntil(
      `${bin} on ${url}`,
      async () => {
        if (exited) return false;
        const r = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(5000) });
        return r.ok ? true : undefined;
      },
      60_000,
    ).catch(() => false);
    if (up) {
      return {
        url,
        port,
        output: () => out,
        stop: async () => {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await child;
          clearTimeout(t);
        },
      };
    }
    lastOut = out;
    child.kill('SIGKILL');
    await child;
  }
  throw new Error(`${bin} did not start: ${lastOut.slice(-1000)}`);
};

export const promtool = (args: readonly string[], opts: { input?: string; cwd?: string } = {}) =>
  execa(PROMTOOL, [...args], {
    reject: false,
    all: true,
    timeout: 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });

export const DASHBOARD = fileURLToPath(new URL('../../grafana/zfailover-dashboard.json', import.meta.url));

/** Every PromQL query of the shipped dashboard: panel targets, then template variables. */
export const dashboardQueries = (): string[] => {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
  const vars = d.templating.list.flatMap((v) => (typeof v.query === 'object' && v.query !== null ? [(v.query as { query: string }).query] : []));
  return [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...vars];
};
