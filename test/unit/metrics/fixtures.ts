// Shared inputs of the metrics tests: a logger that records warnings, and a sync run with everything in it
// (a tree, a conflict, a pending resume, a dataset name with a blank and a quote).
import type { Logger } from 'pino';
import type { DatasetInfo, Listing } from '../../../src/core/dataset.js';
import type { Version } from '../../../src/core/versions.js';
import type { JobState } from '../../../src/state/job-state.js';
import type { JobSpec } from '../../../src/config/job-spec.js';
import type { JobReport } from '../../../src/sync/report.js';

export interface Recorded {
  readonly log: Logger;
  readonly warnings: { obj: unknown; msg: string }[];
}

export const recordingLogger = (): Recorded => {
  const warnings: { obj: unknown; msg: string }[] = [];
  const log = {
    warn: (obj: unknown, msg: string) => warnings.push({ obj, msg }),
    info: () => undefined,
    error: (obj: unknown, msg: string) => warnings.push({ obj, msg }),
    debug: () => undefined,
    child: () => log,
  };
  return { log: log as unknown as Logger, warnings };
};

export const SOURCE = 'tank/my "data"';
const snap = (dataset: string, name: string, guid: string, createtxg: number, creation: number): Version => ({
  kind: 'snapshot',
  dataset,
  name,
  guid,
  createtxg,
  creation,
});

const info = (name: string, versions: Version[], role: 'primary' | 'replica' | null, epoch: number | null): DatasetInfo =>
  ({
    name,
    type: 'filesystem',
    guid: '1',
    createtxg: 1,
    creation: 1,
    versions,
    written: null,
    resumeToken: null,
    readonly: null,
    role,
    roleSource: 'local',
    epoch,
    encryption: null,
    encryptionRoot: null,
    keyStatus: null,
    mountpoint: null,
  }) as unknown as DatasetInfo;

export const job = {
  id: 'web-1',
  adhoc: false,
  source: { host: 'local', dataset: SOURCE },
  targets: [
    { id: 'dr', side: { host: 'local', dataset: 'backup/data' } },
    { id: 'far.away', side: { host: 'far', dataset: 'pool/data' } },
  ],
  recursive: true,
} as unknown as JobSpec;

export const sourceListing: Listing = {
  host: 'local',
  root: SOURCE,
  exists: true,
  datasets: new Map([
    [SOURCE, info(SOURCE, [snap(SOURCE, 'a', '11', 10, 1000), snap(SOURCE, 'b', '12', 20, 2000), snap(SOURCE, 'c', '13', 30, 3000)], 'primary', 2)],
    [`${SOURCE}/child`, info(`${SOURCE}/child`, [snap(`${SOURCE}/child`, 'a', '21', 10, 1000), snap(`${SOURCE}/child`, 'c', '23', 30, 3000)], null, null)],
  ]),
} as unknown as Listing;

export const targetRoots = new Map<string, DatasetInfo | null>([['dr', info('backup/data', [], 'replica', 2)]]);

export const state: JobState = {
  version: 1,
  job: 'web-1',
  updatedAt: 3_600_000,
  lastRun: { startedAt: 3_590_000, finishedAt: 3_600_000, state: 'CRITICAL', summary: 'x' },
  lastSuccess: { at: 3_000_000, startedAt: 2_999_000, durationMs: 1000, bytes: 5, snapshots: 1 },
  lastError: { at: 3_600_000, kind: 'conflict', message: 'diverged' },
  consecutiveFailures: 4,
  targets: {
    dr: {
      side: 'backup/data',
      lastSuccessAt: 3_600_000,
      lastState: 'OK',
      lastSummary: 'OK',
      common: { name: 'c', guid: '13', creation: 3000, createtxg: 5 },
      datasets: { '': { name: 'c', guid: '13', creation: 3000, createtxg: 5 }, child: { name: 'a', guid: '21', creation: 1000, createtxg: 3 } },
      bytes: 4096,
      resume: { token: true, since: 3_500_000 },
      conflict: null,
    },
    'far.away': {
      side: 'far:pool/data',
      lastSuccessAt: 3_000_000,
      lastState: 'CRITICAL',
      lastSummary: 'diverged',
      common: { name: 'a', guid: '11', creation: 1000, createtxg: 7 },
      bytes: 0,
      resume: null,
      conflict: 'diverged',
    },
  },
};

export const report = {
  job: 'web-1',
  source: SOURCE,
  state: 'CRITICAL',
  dryRun: false,
  startedAt: 3_590_000,
  finishedAt: 3_600_000,
  snapshot: 'c',
  targets: [
    { id: 'dr', side: 'backup/data', state: 'OK', datasets: [{ bytes: 4096 }], orphans: [], destroyed: [] },
    { id: 'far.away', side: 'far:pool/data', state: 'CRITICAL', datasets: [], orphans: [], destroyed: [] },
  ],
  destroyed: [],
  notes: [],
} as unknown as JobReport;
