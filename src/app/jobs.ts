// Which jobs a command line means: SOURCE TARGET... (an ad-hoc job), named config jobs, or every config job, each
// adjusted by the command line's sync flags. The commands that take this form (sync, status) ask here.
import type { LoadedConfig } from '../config/loaded.js';
import type { JobSpec } from '../config/job-spec.js';
import type { SyncFlags } from '../config/overrides.js';
import { resolveAllJobs, resolveJob } from '../config/resolve.js';

export type JobSelection =
  | { readonly kind: 'adhoc'; readonly source: string | undefined; readonly targets: readonly string[] }
  | { readonly kind: 'named'; readonly names: readonly string[] }
  | { readonly kind: 'all' };

/** The jobs of a selection; an ad-hoc job is built from its sides (config only lends its ssh settings). */
export const jobsFor = async (selection: JobSelection, flags: SyncFlags, loaded: LoadedConfig, stateDir: string): Promise<JobSpec[]> => {
  switch (selection.kind) {
    case 'all':
      return resolveAllJobs(loaded, { stateDir, overrides: flags });
    case 'named':
      return selection.names.map((name) => resolveJob(loaded, name, { stateDir, overrides: flags }));
    case 'adhoc': {
      // Imported only here: a --job run on the 15-second path never loads it.
      const { jobFromCli } = await import('../config/cli-job.js');
      return [jobFromCli({ source: selection.source, targets: selection.targets, opts: flags, config: loaded, stateDir })];
    }
  }
};
