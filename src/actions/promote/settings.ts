// A job's `failover:` section with defaults applied and CLI flags on top: the lag a planned switchover accepts,
// and the hooks (which phase, which host, which modes, timeout). CLI flag > config > built-in default.
import type { LoadedConfig } from '../../config/loaded.js';
import type { HookConfig } from '../../config/schema/failover.js';
import { UsageError } from '../../errors.js';

export interface HookSpec {
  readonly name: string;
  readonly when: 'before' | 'after' | 'abort' | 'demote';
  readonly on: 'local' | 'primary' | 'replica';
  readonly run: readonly string[];
  /** Seconds. */
  readonly timeout: number;
  readonly modes: readonly ('planned' | 'takeover')[];
}

export interface FailoverSettings {
  /** Seconds, or null for no limit. */
  readonly maxLag: number | null;
  readonly hooks: readonly HookSpec[];
  /** Hook names the operator chose to skip this run. */
  readonly skip: ReadonlySet<string>;
}

/** A replica older than this keeps the service down through a long final sync: refuse by default. */
export const DEFAULT_MAX_LAG = 300;
export const DEFAULT_HOOK_TIMEOUT = 60;

export const failoverSettings = (loaded: LoadedConfig | null, job: string | null, cli: { maxLag?: number; skipHook?: readonly string[] }): FailoverSettings => {
  const cfg = job !== null ? loaded?.data.jobs?.[job]?.failover : undefined;
  const timeout = cfg?.hook_timeout ?? DEFAULT_HOOK_TIMEOUT;
  const hooks = (cfg?.hooks ?? []).map((h: HookConfig): HookSpec => ({
    name: h.name,
    when: h.when,
    on: h.on,
    run: h.run,
    timeout: h.timeout ?? timeout,
    modes: h.modes ?? ['planned', 'takeover'],
  }));
  const skip = new Set(cli.skipHook ?? []);
  for (const name of skip) {
    if (!hooks.some((h) => h.name === name)) {
      throw new UsageError(`--skip-hook ${name}: no such hook${hooks.length ? ` (hooks: ${hooks.map((h) => h.name).join(', ')})` : ' in this job'}`);
    }
  }
  return { maxLag: cli.maxLag ?? cfg?.max_lag ?? DEFAULT_MAX_LAG, hooks, skip };
};
