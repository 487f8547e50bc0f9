// Runs one check the nagiosplugin way: probe (I/O, may fail) -> evaluate (pure) -> summary, under an internal
// deadline. A probe that fails or outlives --timeout gives UNKNOWN with the reason, never a stale OK; the
// deadline aborts the probe's signal so pending zfs/ssh children are killed, not orphaned.
import { setMaxListeners } from 'node:events';
import { timerMs } from '../core/duration.js';
import { DeadlineError, oneLine } from '../errors.js';
import type { CommandResult } from '../outcome.js';
import { formatPerfdata, type Perfdatum } from './perfdata.js';
import { summarise, type Finding, type SummaryOptions } from './summary.js';

export interface Evaluation extends SummaryOptions {
  readonly findings: readonly Finding[];
  readonly perfdata: readonly Perfdatum[];
  /** Full structured result for `--json`. */
  readonly report?: unknown;
}

export interface CheckSpec<P> {
  /** Seconds; 0 or less disables the internal deadline. */
  readonly timeoutSec: number;
  /** Aborted by SIGTERM/SIGINT (from main). */
  readonly signal: AbortSignal;
  /** Gathers the data; must honour `signal` (pass it to every zfs/ssh call). */
  probe(signal: AbortSignal): Promise<P>;
  /** Pure: data -> findings and perfdata. */
  evaluate(data: P): Evaluation;
  /** Noun for the UNKNOWN line when the probe fails: `cannot read tank/data: ...`. */
  readonly what?: string;
}

export { DEFAULT_TIMEOUT_SEC } from './values.js';

export const runCheck = async <P>(spec: CheckSpec<P>): Promise<CommandResult> => {
  const controller = new AbortController();
  // Every zfs/ssh child of the probe listens on this signal until it exits (spawn.ts removes its listener):
  // a probe of many jobs or pools legitimately has more than Node's leak heuristic of 10 at once, and its
  // MaxListenersExceededWarning would reach stderr (Monit shows stderr first). Children per probe are bounded
  // by the probes themselves (core/map-limit.ts), not by this number.
  setMaxListeners(0, controller.signal);
  const onAbort = (): void => controller.abort(spec.signal.reason);
  if (spec.signal.aborted) onAbort();
  else spec.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const fail = (): void => reject(abortReason(controller.signal.reason, spec.timeoutSec));
    controller.signal.addEventListener('abort', fail, { once: true });
    if (spec.timeoutSec > 0) {
      timer = setTimeout(() => controller.abort(new DeadlineError(`timed out after ${spec.timeoutSec}s`)), timerMs(spec.timeoutSec * 1000));
    }
  });
  deadline.catch(() => undefined); // settled below or ignored once the probe wins
  try {
    const data = await Promise.race([spec.probe(controller.signal), deadline]);
    return toResult(spec.evaluate(data));
  } catch (e) {
    const hint = (e as { hint?: string }).hint;
    const why = oneLine(e);
    return {
      state: 'UNKNOWN',
      summary: spec.what ? `cannot check ${spec.what}: ${why}` : why,
      details: hint ? [`fix: ${hint}`] : [],
      report: { error: { name: (e as Error)?.name, message: why, hint } },
    };
  } finally {
    if (timer) clearTimeout(timer);
    spec.signal.removeEventListener('abort', onAbort);
    // Kill whatever the probe still has running (a slow ssh, a hung zfs) before we report.
    if (!controller.signal.aborted) controller.abort(new DeadlineError('check finished'));
  }
};

const abortReason = (reason: unknown, timeoutSec: number): Error => (reason instanceof Error ? reason : new DeadlineError(`timed out after ${timeoutSec}s`));

export const toResult = (ev: Evaluation): CommandResult => {
  const s = summarise(ev.findings, ev);
  const perfdata = formatPerfdata(ev.perfdata);
  return {
    state: s.state,
    summary: s.summary,
    ...(perfdata ? { perfdata } : {}),
    details: s.details,
    report: ev.report ?? { state: s.state, findings: ev.findings },
  };
};
