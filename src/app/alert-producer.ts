// Alerts for commands whose result is one state (snapshot, prune, and checks when `checks.send_alerts` is
// true): one item per command and subject, de-duplicated by the alert book like every other item, so a check
// that stays CRITICAL alerts once. Loads the config only to see whether alerting is configured; never changes
// the result, never throws. A check run without `checks.send_alerts` sends nothing: whoever runs it (Nagios,
// Icinga, Monit, a person) does its own notifying.
import { hostname } from 'node:os';
import { existsSync } from 'node:fs';
import type { CliContext, GlobalOptions } from './context.js';
import { DEFAULT_CONFIG_PATH } from '../config/paths.js';
import type { CommandResult } from '../outcome.js';
import type { AlertSource } from '../alert/types.js';

export interface ResultAlert {
  readonly source: AlertSource;
  /** What is watched, e.g. `check-rpo`, `snapshot`, `prune`. */
  readonly kind: string;
  /** The job(s) or entry the command looked at (`data`, `data,web`, `all`). */
  readonly job: string;
  /** The datasets or pools it covered, as the operator named them (`*` for everything configured). */
  readonly subject: string;
}

const ALERT_DEADLINE_MS = 5000;

export const alertResult = async (a: ResultAlert, result: CommandResult, globals: GlobalOptions, ctx: CliContext): Promise<CommandResult> => {
  if (globals.config === undefined && !existsSync(DEFAULT_CONFIG_PATH)) return result;
  try {
    // The command has just loaded this file: from the validated-config cache, no second parse (yaml, zod).
    const { loadConfig } = await import('../config/loader.js');
    const loaded = await loadConfig(globals.config, { optional: true, cache: { stateDir: globals.stateDir } });
    if (!loaded.data.alerts) return result;
    if (a.source === 'check' && loaded.data.checks?.send_alerts !== true) return result;
    const { resolveStateDir } = await import('../config/resolve.js');
    const { notifyAlerts } = await import('../alert/notify.js');
    const hint = result.details?.find((d) => d.startsWith('fix: '))?.slice(5);
    await notifyAlerts({
      config: loaded.data.alerts,
      stateDir: resolveStateDir(globals.stateDir, loaded),
      now: ctx.now(),
      host: hostname(),
      source: a.source,
      items: [
        {
          job: a.job,
          dataset: a.subject,
          kind: a.kind,
          state: result.state,
          summary: result.summary,
          details: [...(result.details ?? [])].slice(0, 20),
          ...(hint ? { command: hint } : {}),
        },
      ],
      deadlineMs: ALERT_DEADLINE_MS,
    });
  } catch {
    // A config the command itself already judged; alerting is best effort and never changes the result.
  }
  return result;
};
