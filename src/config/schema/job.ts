// Schema of one replication job (`jobs.<name>`), its targets, and the send/transport options.
// Values are optional here; defaults are applied when the job is resolved (src/config/resolve.ts), so a CLI
// flag can still override what the file leaves unset.
import * as z from 'zod';
import { datasetName, identifier, positiveDurationOrNull, side, size, sizeOrNull } from './common.js';
import { failoverSchema } from './failover.js';
import { keepSchema } from './retention.js';

export const sendSchema = z.strictObject({
  /** auto: raw (-w) exactly for encrypted datasets; always; never (sends decrypted: an explicit opt-out). */
  raw: z.enum(['auto', 'always', 'never']).optional(),
  compressed: z.boolean().optional(),
  large_blocks: z.boolean().optional(),
  embedded: z.boolean().optional(),
});

export const transportSchema = z.strictObject({
  compress: z.enum(['none', 'zstd', 'lz4']).optional(),
  mbuffer: z.boolean().optional(),
  // mbuffer allocates it: a typo like 1E must not reach the sending host as a memory request.
  mbuffer_size: size({ max: 64 * 1024 ** 3, maxText: '64G' }).optional(),
  bwlimit: sizeOrNull().optional(),
});

const targetObject = z.strictObject(
  {
    /** Defaults to t1, t2, ... by position. */
    name: identifier('target name').optional(),
    dataset: side('target'),
    keep: keepSchema,
  },
  { error: 'expected a target: a side string, or a mapping with dataset (and name)' },
);

/** A target is `{name, dataset, keep}` or just the side string. */
export const targetSchema = z.preprocess((v) => (typeof v === 'string' ? { dataset: v } : v), targetObject);

export const jobSchema = z.strictObject({
  source: side('source'),
  targets: z.array(targetSchema).min(1, { error: 'at least one target is required' }),
  recursive: z.boolean().optional(),
  /** Datasets below the source left out, with their children (absolute names). */
  exclude: z.array(datasetName('exclude')).optional(),
  sync_snapshot: z.boolean().optional(),
  deadline: positiveDurationOrNull().optional(),
  /** Dataset transfers at once per target (1 = one after another). */
  concurrency: z
    .number({ error: 'expected a whole number from 1 to 64' })
    .int({ error: 'expected a whole number from 1 to 64' })
    .min(1, { error: 'expected a whole number from 1 to 64' })
    .max(64, { error: 'expected a whole number from 1 to 64' })
    .optional(),
  initial: z.enum(['all', 'newest']).optional(),
  resume: z.boolean().optional(),
  bookmarks: z.boolean().optional(),
  holds: z.boolean().optional(),
  rollback_target: z.boolean().optional(),
  send: sendSchema.optional(),
  transport: transportSchema.optional(),
  failover: failoverSchema,
});

export type JobConfig = z.output<typeof jobSchema>;
export type TargetConfig = z.output<typeof targetObject>;
