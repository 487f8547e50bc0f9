// Pre/post snapshot hooks (quiesce a database, flush an application): an argv run on the datasets' host through
// its runner (locally, or over ssh for a remote source), under a timeout, with the datasets and snapshot names
// in the environment. No shell: the operator's argv is passed as is (`timeout N env NAME=value... argv`).
import { isZfoError, oneLine } from '../../errors.js';
import type { Runner } from '../../zfs/types.js';

export type HookPhase = 'pre' | 'post';

export interface HookContext {
  readonly phase: HookPhase;
  /** Datasets about to be (or just) snapshotted. */
  readonly datasets: readonly string[];
  /** Full snapshot names (`pool/ds@name`). */
  readonly snapshots: readonly string[];
  readonly labels: readonly string[];
  /** For post hooks: what happened (`ok`, `failed`, `skipped`). */
  readonly outcome?: 'ok' | 'failed' | 'skipped';
  /** For post hooks: whether the pre hook failed. */
  readonly preFailed?: boolean;
}

export interface HookResult {
  readonly ok: boolean;
  /** One line: `exit 3: database busy`, `timed out after 30s`. */
  readonly detail: string;
}

/**
 * The environment a hook sees. Names are newline-separated (dataset names may contain spaces, never newlines).
 *   ZFAILOVER_PHASE      pre | post
 *   ZFAILOVER_DATASETS   pool/ds per line
 *   ZFAILOVER_SNAPSHOTS  pool/ds@zfailover_<label>_<stamp> per line
 *   ZFAILOVER_LABELS     labels taken, space-separated
 *   ZFAILOVER_OUTCOME    post only: ok | failed | skipped
 *   ZFAILOVER_PRE_FAILED post only: 1 when the pre hook failed, else 0
 */
export const hookEnv = (c: HookContext): Record<string, string> => ({
  ZFAILOVER_PHASE: c.phase,
  ZFAILOVER_DATASETS: c.datasets.join('\n'),
  ZFAILOVER_SNAPSHOTS: c.snapshots.join('\n'),
  ZFAILOVER_LABELS: c.labels.join(' '),
  ...(c.phase === 'post' ? { ZFAILOVER_OUTCOME: c.outcome ?? 'ok', ZFAILOVER_PRE_FAILED: c.preFailed ? '1' : '0' } : {}),
});

/** Exit status of coreutils `timeout` when the time ran out. */
const TIMED_OUT = 124;

export const runHook = async (runner: Runner, argv: readonly string[], c: HookContext, timeoutSeconds: number, signal?: AbortSignal): Promise<HookResult> => {
  const env = Object.entries(hookEnv(c)).map(([k, v]) => `${k}=${v}`);
  // coreutils timeout signals the hook's whole process group (a `sleep` in a shell script too), on this host
  // or the remote one alike; the runner's own timeout is only the backstop should timeout itself hang.
  const wrapped = ['timeout', '-k', '5', String(timeoutSeconds), 'env', ...env, ...argv];
  try {
    const r = await runner.exec(wrapped, { timeoutMs: (timeoutSeconds + 15) * 1000, allowFailure: true, ...(signal ? { signal } : {}) });
    if (r.exitCode === 0) return { ok: true, detail: 'exit 0' };
    if (r.exitCode === TIMED_OUT || r.exitCode === 128 + 9) return { ok: false, detail: `timed out after ${timeoutSeconds}s` };
    const why = lastLine(r.stderr) || lastLine(r.stdout);
    return { ok: false, detail: `exit ${r.exitCode}${why ? `: ${why}` : ''}` };
  } catch (e) {
    // Timed out (killed), could not be started, host unreachable.
    return { ok: false, detail: isZfoError(e) ? oneLine(e) : String(e) };
  }
};

const lastLine = (text: string): string => {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 160);
};
