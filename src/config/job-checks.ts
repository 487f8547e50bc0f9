// Checks that span fields of a job (and jobs of a file): what a schema cannot see. Pure; the config loader
// turns the problems into `file:line: key.path` errors, the CLI into usage errors.
import type { Side } from '../zfs/side.js';
import { formatSide } from '../zfs/side.js';
import type { KeyPath } from './problems.js';

export interface JobShape {
  readonly source: Side;
  readonly targets: readonly { readonly id: string; readonly side: Side; readonly named: boolean }[];
  readonly recursive: boolean;
  readonly exclude: readonly string[];
}

export interface JobProblem {
  /** Relative to the job (`['targets', 1, 'name']`). */
  readonly path: KeyPath;
  readonly message: string;
}

const within = (parent: string, name: string): boolean => name === parent || name.startsWith(`${parent}/`);

/** Same machine as far as we can tell: both local, or the same host and port (users may differ). */
export const sameHost = (a: Side, b: Side, defaultPort = 22): boolean => {
  if (!a.host || !b.host) return !a.host && !b.host;
  return a.host.host.toLowerCase() === b.host.host.toLowerCase() && (a.host.port ?? defaultPort) === (b.host.port ?? defaultPort);
};

/** Why two sides would write into (or read from) the same tree, or null. */
const overlap = (a: Side, b: Side, defaultPort: number): 'same' | 'a-contains-b' | 'b-contains-a' | null => {
  if (!sameHost(a, b, defaultPort)) return null;
  if (a.dataset === b.dataset) return 'same';
  if (within(a.dataset, b.dataset)) return 'a-contains-b';
  if (within(b.dataset, a.dataset)) return 'b-contains-a';
  return null;
};

export const jobProblems = (job: JobShape, defaultPort = 22): JobProblem[] => {
  const out: JobProblem[] = [];
  const src = formatSide(job.source);
  if (job.exclude.length > 0 && !job.recursive) {
    out.push({ path: ['exclude'], message: 'exclude needs recursive replication (recursive: true, or -r)' });
  }
  job.exclude.forEach((ds, i) => {
    if (ds === job.source.dataset) out.push({ path: ['exclude', i], message: `'${ds}' is the source itself; exclude datasets below it` });
    else if (!within(job.source.dataset, ds)) out.push({ path: ['exclude', i], message: `'${ds}' is not below the source ${job.source.dataset}` });
  });
  const names = new Map<string, number>();
  job.targets.forEach((t, i) => {
    const first = names.get(t.id);
    if (first !== undefined) {
      out.push({ path: t.named ? ['targets', i, 'name'] : ['targets', i], message: `duplicate target name '${t.id}' (also targets[${first}])` });
    } else names.set(t.id, i);
    const dst = formatSide(t.side);
    const rel = overlap(job.source, t.side, defaultPort);
    if (rel === 'same') out.push({ path: ['targets', i, 'dataset'], message: `target ${dst} is the source itself` });
    else if (rel === 'a-contains-b') out.push({ path: ['targets', i, 'dataset'], message: `target ${dst} is inside the source tree ${src}` });
    else if (rel === 'b-contains-a') out.push({ path: ['targets', i, 'dataset'], message: `target ${dst} contains the source ${src}` });
    for (let j = 0; j < i; j++) {
      const other = job.targets[j] as JobShape['targets'][number];
      if (overlap(other.side, t.side, defaultPort)) {
        out.push({ path: ['targets', i, 'dataset'], message: `target ${dst} overlaps targets[${j}] ${formatSide(other.side)}` });
      }
    }
  });
  return out;
};

/** Two jobs writing into the same target tree would undo each other's work every cycle. */
export const crossJobProblems = (
  jobs: readonly { readonly name: string; readonly job: JobShape }[],
  defaultPort = 22,
): { readonly job: string; readonly problem: JobProblem }[] => {
  const out: { job: string; problem: JobProblem }[] = [];
  const seen: { name: string; index: number; side: Side }[] = [];
  for (const { name, job } of jobs) {
    job.targets.forEach((t, i) => {
      const clash = seen.find((s) => s.name !== name && overlap(s.side, t.side, defaultPort));
      if (clash) {
        out.push({
          job: name,
          problem: {
            path: ['targets', i, 'dataset'],
            message: `target ${formatSide(t.side)} overlaps a target of job '${clash.name}' (jobs.${clash.name}.targets[${clash.index}])`,
          },
        });
      }
    });
    job.targets.forEach((t, i) => seen.push({ name, index: i, side: t.side }));
  }
  return out;
};
