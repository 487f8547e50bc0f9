// Config slot for top-level `checks:`: default thresholds of the check_zfs_* plugins, so Monit lines and
// Nagios command definitions can stay short. A -w/-c on the command line always wins over these.
// OWNER: the checks engineer (src/checks). Ranges are validated here with the same parser the plugins use.
import * as z from 'zod';
import { durationAtom, parseRange, plainAtom, type AtomParser, type Range } from '../../plugin/range.js';
import { duration, show } from './common.js';

const percentAtom: AtomParser = (t) => plainAtom(t.endsWith('%') ? t.slice(0, -1) : t);

/** A threshold range (`30s`, `~:2h`, `@10:20`) in the metric's units, parsed into base units. */
const range = (atom: AtomParser, example: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx): Range => {
    try {
      return parseRange(String(v), atom);
    } catch {
      ctx.issues.push({ code: 'custom', message: `not a threshold range: ${show(v)} (use e.g. ${example})`, input: v });
      return z.NEVER;
    }
  });

const thresholds = (atom: AtomParser, example: string) => ({
  warning: range(atom, example).optional(),
  critical: range(atom, example).optional(),
});

const count = z.number().int().min(1);

export const checksSchema = z
  .strictObject({
    /**
     * A check run also feeds zfailover's own mail/SNMP (`alerts:`), once per change. Off by default: the
     * monitoring system that runs a check notifies for it; the jobs (sync, snapshot, prune, promote/demote)
     * are zfailover's alert producers (docs/parts/alerts.md, "Who alerts").
     */
    send_alerts: z.boolean().optional(),
    /**
     * Pools check_zfs_health / check_zfs_capacity watch when none are named on the command line (default:
     * every imported pool, another application's included).
     */
    pools: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]*$/, { error: 'not a pool name' }))
      .min(1)
      .optional(),
    /** Internal deadline of every check (UNKNOWN when exceeded); keep it below Nagios'/Monit's own timeout. */
    timeout: duration({ min: 1 }).optional(),
    rpo: z.strictObject({ ...thresholds(durationAtom, '30s, 2m, ~:1h') }).optional(),
    divergence: z.strictObject({ ...thresholds(plainAtom, '10 snapshots behind') }).optional(),
    job: z
      .strictObject({
        ...thresholds(durationAtom, '5m, 1h'),
        /** Consecutive failed runs that make the check WARNING / CRITICAL. */
        failures_warning: count.optional(),
        failures_critical: count.optional(),
        /** A run holding the lock longer than this is reported (WARNING). */
        max_runtime: duration({ min: 1 }).optional(),
        /** WARNING when the last common snapshot would be pruned by the retention policy within this time. */
        prune_horizon: duration({ min: 0 }).optional(),
      })
      .optional(),
    capacity: z.strictObject({ ...thresholds(percentAtom, '80, 80%, ~:90') }).optional(),
    health: z
      .strictObject({
        /** On the sum of vdev read/write/checksum errors of a pool. */
        ...thresholds(plainAtom, '0, 10'),
        /** Pool states reported CRITICAL rather than WARNING (default: DEGRADED is WARNING). */
        degraded_is_critical: z.boolean().optional(),
      })
      .optional(),
  })
  .optional();

export type ChecksConfig = z.output<typeof checksSchema>;
