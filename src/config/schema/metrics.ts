// Config slot for top-level `metrics:` (Prometheus through node_exporter's textfile collector). Off by default:
// without `textfile_dir` no metrics file or counter is read or written.
import * as z from 'zod';
import { absolutePath } from './common.js';

export const metricsSchema = z
  .preprocess(
    (v) => (v === null ? {} : v),
    z.strictObject({
      /** node_exporter's --collector.textfile.directory (Debian: /var/lib/prometheus/node-exporter). */
      textfile_dir: absolutePath().optional(),
    }),
  )
  .optional();
