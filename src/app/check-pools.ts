// Probe and wiring of check health / check capacity: `zpool list` once, `zpool status` per pool (health), on the
// local host or on -H [user@]host[:port] over ssh; evaluation is checks/pools.ts.
import type { CliContext } from './context.js';
import type { CommandResult } from '../outcome.js';
import { loadConfig } from '../config/loader.js';
import { resolveSsh, resolveStateDir } from '../config/resolve.js';
import type { ChecksConfig } from '../config/schema/checks.js';
import { runCheck } from '../plugin/check.js';
import { CheckHosts } from '../checks/hosts.js';
import { poolList, poolStatus, type PoolStatus } from '../zfs/pool.js';
import { parseSide } from '../zfs/side.js';
import { evaluateCapacity, evaluateHealth, type PoolsData } from '../checks/pools.js';
import { resolveTimeout, thresholdsFor } from '../checks/settings.js';
import { mapLimit } from '../core/map-limit.js';
import type { Range } from '../plugin/range.js';

export const POOL_STATUS_PARALLEL = 4;

export interface PoolCliOptions {
  hostname?: string;
  warning?: Range;
  critical?: Range;
  timeout?: number;
  maxLines?: number;
  degradedIsCritical?: boolean;
  sshKey?: string;
  sshPort?: number;
  sshOption?: string[];
  config?: string;
  stateDir?: string;
}

export interface PoolCheckInput {
  readonly pools: readonly string[];
  readonly opts: PoolCliOptions;
  readonly globals: { config: string | undefined; stateDir: string | undefined };
  readonly ctx: CliContext;
}

export const runPoolCheck = async (name: 'health' | 'capacity', input: PoolCheckInput): Promise<CommandResult> => {
  const { opts, ctx } = input;
  const cliStateDir = opts.stateDir ?? input.globals.stateDir;
  // From the validated-config cache when the file is unchanged (no yaml, no config schemas), as for sync.
  const config = await loadConfig(opts.config ?? input.globals.config, { optional: true, cache: { stateDir: cliStateDir } });
  const checks = config.data.checks as ChecksConfig;
  const stateDir = resolveStateDir(cliStateDir, config);
  // `-H host` reuses the side syntax: `[user@]host[:port]` plus a dummy dataset to validate it.
  const host = opts.hostname ? parseSide(`${opts.hostname}:pool`, '--hostname').host : null;
  const ssh = resolveSsh(config, stateDir, {
    ...(opts.sshKey ? { sshKey: opts.sshKey } : {}),
    ...(opts.sshPort ? { sshPort: opts.sshPort } : {}),
    ...(opts.sshOption ? { sshOption: opts.sshOption } : {}),
  });
  const pool = new CheckHosts(stateDir, ctx.now, ctx.env);
  const startedAt = ctx.now();
  let seen: PoolsData | undefined;
  try {
    const result = await runCheck({
      timeoutSec: resolveTimeout(opts.timeout, checks),
      signal: ctx.signal,
      probe: async (signal): Promise<PoolsData> => {
        const runner = pool.runner(host, ssh);
        const caps = await pool.capabilities(runner, signal);
        const all = await poolList(runner, caps, signal);
        // Pools named on the command line, else `checks.pools` of the config, else every imported pool.
        const named = input.pools.length ? input.pools : (checks?.pools ?? []);
        const wanted = named.length ? all.filter((p) => named.includes(p.name)) : all;
        const missing = named.filter((n) => !all.some((p) => p.name === n));
        const status = new Map<string, PoolStatus | Error>();
        if (name === 'health') {
          // A few `zpool status` at a time, not one per pool at once (see core/map-limit.ts).
          await mapLimit(wanted, POOL_STATUS_PARALLEL, async (p) => {
            status.set(p.name, await poolStatus(runner, p.name, signal).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
          });
        }
        seen = { host: runner.label, pools: wanted, missing, status };
        return seen;
      },
      evaluate: (d) =>
        name === 'health'
          ? evaluateHealth(d, {
              degradedIsCritical: opts.degradedIsCritical ?? checks?.health?.degraded_is_critical ?? false,
              thresholds: thresholdsFor('health', opts, checks),
              maxDetails: opts.maxLines,
            })
          : evaluateCapacity(d, { thresholds: thresholdsFor('capacity', opts, checks), maxDetails: opts.maxLines }),
    });
    const textfileDir = config.data.metrics?.textfile_dir;
    if (seen && textfileDir !== undefined) {
      const facts = { check: name, unit: `${name}-${seen.host}`, host: seen.host, pools: seen.pools, startedAt, finishedAt: ctx.now(), state: result.state };
      // Loaded only when metrics are on: a plugin run every minute pays nothing for them otherwise.
      const [{ createLogger }, { publishRunMetrics }, { poolFamilies }] = await Promise.all([
        import('../log.js'),
        import('../state/metrics.js'),
        import('../checks/pools-metrics.js'),
      ]);
      const log = await createLogger({ file: config.data.log?.file, level: config.data.log?.level ?? 'info', verbose: false });
      await publishRunMetrics({
        textfileDir,
        stateDir,
        command: 'check',
        job: facts.unit,
        state: result.state,
        finishedAt: facts.finishedAt,
        log,
        families: (c) => poolFamilies(facts, c),
      });
    }
    return result;
  } finally {
    await pool.closeAll();
  }
};
