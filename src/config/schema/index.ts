// The whole config file: top-level sections. Sections owned by other parts are open slots, one module each
// (retention.ts, alerts.ts, checks.ts, failover.ts), so their owners fill them without touching this file.
import * as z from 'zod';
import { isValidId } from '../../core/names.js';
import { sshOptionProblem } from '../ssh-options.js';
import { absolutePath, duration, ID_RULE, identifier, port } from './common.js';
import { alertsSchema } from './alerts.js';
import { checksSchema } from './checks.js';
import { jobSchema } from './job.js';
import { metricsSchema } from './metrics.js';
import { snapshotsSchema, templatesSchema } from './retention.js';

/** `section:` with nothing under it (everything commented out) is YAML null: treat it as empty. */
const emptyIfNull = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema);

const sshOption = z.string().superRefine((opt, ctx) => {
  const problem = sshOptionProblem(opt);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: opt });
});

export const sshSchema = z.strictObject({
  key: absolutePath().optional(),
  port: port().optional(),
  options: z.array(sshOption).optional(),
  /** How long an idle master connection stays up, so consecutive 15 s cycles reuse it; 0 disables. */
  control_persist: duration({ min: 0 }).optional(),
  connect_timeout: duration({ min: 1 }).optional(),
});

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logSchema = z.strictObject({
  file: absolutePath().optional(),
  level: z.enum(LOG_LEVELS).optional(),
});

// `zfailover-*` names are taken by the tool's own locks (zfailover-snapshot, zfailover-prune).
const jobName = z
  .string()
  .refine(isValidId, { error: (iss) => `invalid job name '${String(iss.input)}': use ${ID_RULE}` })
  .refine((n) => !n.startsWith('zfailover-'), { error: (iss) => `invalid job name '${String(iss.input)}': names starting with 'zfailover-' are reserved` });

export const configSchema = z.strictObject({
  /** Format version of this file; only 1 exists. */
  version: z.literal(1).optional(),
  state_dir: absolutePath().optional(),
  /** Installation identity in owned names (state/installation.ts); default: generated once into the state dir. */
  identity: identifier('identity').optional(),
  log: emptyIfNull(logSchema).optional(),
  ssh: emptyIfNull(sshSchema).optional(),
  jobs: emptyIfNull(z.record(jobName, jobSchema)).optional(),
  templates: templatesSchema,
  snapshots: snapshotsSchema,
  alerts: alertsSchema,
  checks: checksSchema,
  metrics: metricsSchema,
});

export type ConfigData = z.output<typeof configSchema>;
export type { JobConfig, TargetConfig } from './job.js';
