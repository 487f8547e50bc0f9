// Failover hooks (stop the service, move a VIP, fence the old primary): the operator's argv run on the chosen
// host through its runner, under coreutils `timeout` (which kills the hook's whole process group, here or on the
// remote host), with what is happening in the environment. Output goes to the log, a one-line detail to the
// report. A takeover never reaches for the primary: its hooks are skipped and noted.
import type { Logger } from 'pino';
import { isZfoError, oneLine } from '../../errors.js';
import type { Runner } from '../../zfs/types.js';
import type { HookOutcome } from './flow.js';
import type { HookSpec } from './settings.js';

export interface HookRunContext {
  readonly job: string;
  readonly mode: 'planned' | 'takeover' | 'demote';
  readonly primary: string;
  readonly replica: string;
  /** The datasets alone (a side spec's host part may hold ':' and '@', a dataset name ':' too: never split them). */
  readonly primaryDataset: string;
  readonly replicaDataset: string;
  readonly epoch: number | null;
  readonly runners: { readonly local: Runner; readonly primary: Runner | null; readonly replica: Runner };
  readonly skip: ReadonlySet<string>;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * The environment a hook sees:
 *   ZFAILOVER_JOB, ZFAILOVER_WHEN (before|after|abort|demote), ZFAILOVER_MODE (planned|takeover|demote),
 *   ZFAILOVER_PRIMARY, ZFAILOVER_REPLICA (side specs), ZFAILOVER_EPOCH (the new epoch),
 *   ZFAILOVER_PRIMARY_DATASET, ZFAILOVER_REPLICA_DATASET (the job's root datasets on each side, e.g. for
 *   `zfs set volmode=dev "$ZFAILOVER_REPLICA_DATASET"` before a VM starts from a promoted zvol)
 */
export const hookEnv = (h: HookSpec, c: HookRunContext): string[] => [
  `ZFAILOVER_JOB=${c.job}`,
  `ZFAILOVER_WHEN=${h.when}`,
  `ZFAILOVER_MODE=${c.mode}`,
  `ZFAILOVER_PRIMARY=${c.primary}`,
  `ZFAILOVER_REPLICA=${c.replica}`,
  `ZFAILOVER_EPOCH=${c.epoch ?? ''}`,
  `ZFAILOVER_PRIMARY_DATASET=${c.primaryDataset}`,
  `ZFAILOVER_REPLICA_DATASET=${c.replicaDataset}`,
];

/** Exit status of coreutils `timeout` when time ran out (124), or of a process it had to SIGKILL. */
const TIMED_OUT = new Set([124, 137]);
const MAX_LOGGED = 4096;

/** Runs the hooks of one phase in config order; stops at the first failure (the flow decides what it means). */
export const runHooks = async (hooks: readonly HookSpec[], when: HookSpec['when'], c: HookRunContext): Promise<HookOutcome[]> => {
  const out: HookOutcome[] = [];
  const mode = c.mode === 'demote' ? null : c.mode;
  for (const h of hooks) {
    if (h.when !== when || (mode !== null && !h.modes.includes(mode))) continue;
    if (c.skip.has(h.name)) {
      out.push({ name: h.name, on: h.on, ok: true, detail: 'skipped (--skip-hook)' });
      continue;
    }
    const runner = h.on === 'local' ? c.runners.local : h.on === 'primary' ? c.runners.primary : c.runners.replica;
    if (!runner) {
      out.push({ name: h.name, on: h.on, ok: true, detail: 'skipped: the primary is not reachable in a takeover' });
      continue;
    }
    const r = await runOne(runner, h, c);
    out.push(r);
    if (!r.ok) break;
  }
  return out;
};

const runOne = async (runner: Runner, h: HookSpec, c: HookRunContext): Promise<HookOutcome> => {
  const argv = ['timeout', '-k', '5', String(h.timeout), 'env', ...hookEnv(h, c), ...h.run];
  const started = Date.now();
  try {
    const r = await runner.exec(argv, { timeoutMs: (h.timeout + 15) * 1000, allowFailure: true, signal: c.signal });
    c.log.info(
      {
        hook: h.name,
        on: runner.label,
        when: h.when,
        exitCode: r.exitCode,
        ms: Date.now() - started,
        stdout: r.stdout.slice(-MAX_LOGGED),
        stderr: r.stderr.slice(-MAX_LOGGED),
      },
      'hook ran',
    );
    if (r.exitCode === 0) return { name: h.name, on: runner.label, ok: true, detail: 'exit 0' };
    if (TIMED_OUT.has(r.exitCode)) return { name: h.name, on: runner.label, ok: false, detail: `timed out after ${h.timeout}s` };
    const why = lastLine(r.stderr) || lastLine(r.stdout);
    return { name: h.name, on: runner.label, ok: false, detail: `exit ${r.exitCode}${why ? `: ${why}` : ''}` };
  } catch (e) {
    c.log.warn({ hook: h.name, on: runner.label, err: e }, 'hook could not run');
    return { name: h.name, on: runner.label, ok: false, detail: isZfoError(e) ? oneLine(e) : String(e) };
  }
};

const lastLine = (text: string): string => {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 160);
};
