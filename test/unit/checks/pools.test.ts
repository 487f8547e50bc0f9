// check health / capacity evaluation on zpool output in the OpenZFS and zfs-fuse formats.
import { describe, expect, it } from 'vitest';
import { evaluateCapacity, evaluateHealth, type PoolsData } from '../../../src/checks/pools.js';
import { toResult } from '../../../src/plugin/check.js';
import { parseRange } from '../../../src/plugin/range.js';
import { parsePoolList, parsePoolStatus } from '../../../src/zfs/pool.js';

const degraded = `  pool: tank
 state: DEGRADED
status: One or more devices could not be used because the label is missing or
\tinvalid.  Sufficient replicas exist for the pool to continue functioning in a
\tdegraded state.
action: Replace the device using 'zpool replace'.
  scan: scrub repaired 0B in 00:00:01 with 0 errors on Thu Nov 26 04:00:00 2026
config:

\tNAME        STATE     READ WRITE CKSUM
\ttank        DEGRADED     0     0     0
\t  mirror-0  DEGRADED     0     0     0
\t    vdb     ONLINE       0     0     3
\t    vdc     UNAVAIL      0     0     0  cannot open

errors: No known data errors
`;
const online = `  pool: backup
 state: ONLINE
 scrub: none requested
config:

\tNAME             STATE     READ WRITE CKSUM
\tbackup           ONLINE       0     0     0
\t  /tmp/b.img     ONLINE       0     0     0

errors: No known data errors
`;
const list = parsePoolList('tank\t10737418240\t9663676416\t1073741824\t90\tDEGRADED\nbackup\t10737418240\t1073741824\t9663676416\t10\tONLINE\n', true);
const data = (extra: Partial<PoolsData> = {}): PoolsData => ({
  host: 'local',
  pools: list,
  missing: [],
  status: new Map([
    ['tank', parsePoolStatus(degraded)],
    ['backup', parsePoolStatus(online)],
  ]),
  ...extra,
});

describe('evaluateHealth', () => {
  const warn0 = { warning: parseRange('0') };
  it('WARNING for a degraded pool, naming the device down and the erring vdev', () => {
    const r = toResult(evaluateHealth(data(), { degradedIsCritical: false, thresholds: warn0 }));
    expect(r.state).toBe('WARNING');
    expect(r.summary).toBe('1 of 2 pools WARNING: tank: DEGRADED, vdc UNAVAIL, 3 vdev errors (> 0) (read/write/cksum: vdb 0/0/3)');
    expect(r.perfdata).toBe('pools=2;;;0 unhealthy=1;;;0 vdev_errors=3;;;0');
    expect(r.details).toContain('  fix: zpool status -v tank');
  });
  it('CRITICAL with --degraded-is-critical, for data errors, and for a missing pool', () => {
    expect(toResult(evaluateHealth(data(), { degradedIsCritical: true, thresholds: warn0 })).state).toBe('CRITICAL');
    const corrupt = parsePoolStatus(online.replace('No known data errors', "2 data errors, use '-v' for a list"));
    const r = toResult(evaluateHealth(data({ pools: [list[1]!], status: new Map([['backup', corrupt]]) }), { degradedIsCritical: false, thresholds: warn0 }));
    expect(r).toMatchObject({ state: 'CRITICAL', summary: "backup: ONLINE, data errors: 2 data errors, use '-v' for a list" });
    const gone = toResult(evaluateHealth(data({ pools: [list[1]!], missing: ['tank'] }), { degradedIsCritical: false, thresholds: warn0 }));
    expect(gone.summary).toBe('1 of 2 pools CRITICAL: tank: no such pool (not imported?)');
  });
  it('error counts below -w are OK; an unreadable status is UNKNOWN', () => {
    const r = toResult(evaluateHealth(data({ pools: [list[0]!] }), { degradedIsCritical: false, thresholds: { warning: parseRange('5') } }));
    expect(r.summary).toBe('tank: DEGRADED, vdc UNAVAIL, 3 vdev errors (read/write/cksum: vdb 0/0/3)');
    const u = toResult(
      evaluateHealth(data({ pools: [list[1]!], status: new Map([['backup', new Error('timed out')]]) }), { degradedIsCritical: false, thresholds: warn0 }),
    );
    expect(u).toMatchObject({ state: 'UNKNOWN', summary: 'backup: health ONLINE; zpool status unreadable: timed out' });
  });
});

describe('evaluateCapacity', () => {
  const th = { warning: parseRange('80'), critical: parseRange('90') };
  it('per-pool percent with thresholds, exact bytes as perfdata', () => {
    const r = toResult(evaluateCapacity(data(), { thresholds: th }));
    expect(r.state).toBe('WARNING');
    expect(r.summary).toBe('1 of 2 pools WARNING: tank: 90% used (> 80%), 1.0GiB free of 10GiB');
    expect(r.perfdata).toBe("tank=90%;80;90;0;100 'tank used'=9663676416B;;;0;10737418240 backup=10%;80;90;0;100 'backup used'=1073741824B;;;0;10737418240");
  });
  it('zfs-fuse rounded sizes: percent only, sizes marked approximate', () => {
    const fuse = parsePoolList('ta\t504M\t892K\t503M\t0%\tONLINE\n', false);
    const r = toResult(evaluateCapacity(data({ pools: fuse }), { thresholds: th }));
    expect(r).toMatchObject({ state: 'OK', summary: 'ta: 0% used, ~503MiB free of ~504MiB', perfdata: 'ta=0%;80;90;0;100' });
  });
});
