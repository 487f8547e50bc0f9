// How the running job is named in the commands zfailover prints: the job (named, or ad-hoc sides and flags) and
// the global --config/--state-dir, made absolute so a pasted command acts on the same job from any directory.
import { resolve } from 'node:path';
import { onHost, zfailoverLine, type JobInvocation } from '../core/operator-command.js';
import { resolveAllJobs } from '../config/resolve.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { HostSpec } from '../zfs/types.js';
import { formatSide } from '../zfs/side.js';
import type { JobSpec } from './job.js';

export interface InvocationGlobals {
  readonly config?: string | undefined;
  readonly stateDir?: string | undefined;
}

export const jobInvocation = (job: JobSpec, g: InvocationGlobals, cwd = process.cwd()): JobInvocation => ({
  ...(g.config !== undefined && g.config !== '' ? { config: resolve(cwd, g.config) } : {}),
  ...(g.stateDir !== undefined && g.stateDir !== '' ? { stateDir: resolve(cwd, g.stateDir) } : {}),
  job: job.adhoc ? null : job.id,
  sides: [job.source, ...job.targets.map((t) => t.side)].map(formatSide),
  flags: job.flags ?? {},
});

/** A sh line running `stages` on `host` (null: locally) the way this job reaches it (port, key, -o options). */
export const onJobHost = (job: Pick<JobSpec, 'ssh'>, host: HostSpec | null, stages: readonly (readonly string[])[]): string =>
  onHost(host, { key: job.ssh.key, port: job.ssh.port, options: job.ssh.options }, stages);

/** What a cycle needs to print commands about its job: the job itself, and the demote that makes the source a replica of a target. */
export interface JobCommands {
  readonly invocation: JobInvocation;
  /** `zfailover demote ...` with the target (by id) as primary and the source as the side to demote. */
  readonly demoteSource: (targetId: string) => string;
  /** `zfailover demote ...` keeping the source as primary and demoting the target (by id). */
  readonly demoteTarget: (targetId: string) => string;
}

/**
 * Commands for `job`. The demote names the reverse job of the config when there is one (source and target
 * swapped, e.g. `zfailover demote --job data-back`), else the two sides ad hoc with the job's ssh flags.
 */
export const jobCommands = (job: JobSpec, g: InvocationGlobals, others: () => readonly JobSpec[] = () => [], cwd = process.cwd()): JobCommands => {
  const invocation = jobInvocation(job, g, cwd);
  const ssh = { sshKey: invocation.flags.sshKey, sshPort: invocation.flags.sshPort, sshOption: invocation.flags.sshOption };
  return {
    invocation,
    demoteTarget: (targetId) => {
      const target = job.targets.find((t) => t.id === targetId) ?? job.targets[0];
      const flags = { ...ssh, recursive: invocation.flags.recursive, exclude: invocation.flags.exclude, id: invocation.flags.id };
      const sides = target ? [formatSide(job.source), formatSide(target.side)] : invocation.sides;
      return zfailoverLine({ ...invocation, flags }, ['demote'], { sides, target: job.targets.length > 1 ? targetId : undefined });
    },
    demoteSource: (targetId) => {
      const target = job.targets.find((t) => t.id === targetId) ?? job.targets[0];
      if (!target) return zfailoverLine({ ...invocation, flags: ssh }, ['demote']);
      const primary = formatSide(target.side);
      const old = formatSide(job.source);
      for (const r of others()) {
        if (r.adhoc || formatSide(r.source) !== primary) continue;
        const back = r.targets.find((t) => formatSide(t.side) === old);
        if (back) return zfailoverLine({ ...invocation, job: r.id, flags: ssh }, ['demote'], { target: r.targets.length > 1 ? back.id : undefined });
      }
      return zfailoverLine({ ...invocation, job: null, flags: { ...ssh, recursive: job.recursive || undefined } }, ['demote'], { sides: [primary, old] });
    },
  };
};

/** The config's jobs (for the reverse job of a demote hint), or none when the config cannot resolve them all. */
export const configJobs = (loaded: LoadedConfig | null, stateDir: string) => (): readonly JobSpec[] => {
  if (!loaded) return [];
  try {
    return resolveAllJobs(loaded, { stateDir });
  } catch {
    return [];
  }
};
