// check health and check capacity: pool state, vdev error counters, scan state and data errors; capacity
// against thresholds. One `zpool list` for all pools (plus one `zpool status` per pool for health). Evaluation
// is pure.
import type { ServiceState } from '../outcome.js';
import { formatSize } from '../core/duration.js';
import type { Evaluation } from '../plugin/check.js';
import type { Perfdatum } from '../plugin/perfdata.js';
import { evaluate, violation, type Thresholds } from '../plugin/range.js';
import type { Finding } from '../plugin/summary.js';
import type { PoolInfo, PoolStatus } from '../zfs/pool.js';

export interface PoolsData {
  /** `local` or `user@host:port`. */
  readonly host: string;
  readonly pools: readonly PoolInfo[];
  /** Pools asked for by name that do not exist. */
  readonly missing: readonly string[];
  /** Per pool: its status, or why it could not be read (health only). */
  readonly status: ReadonlyMap<string, PoolStatus | Error>;
}

/** Pool and vdev states (zpool(8) "Device Failures and Recovery"): anything but these two is an outage. */
const STATE_OF: Readonly<Record<string, ServiceState>> = { ONLINE: 'OK', DEGRADED: 'WARNING' };

const subjectOf = (d: PoolsData, pool: string): string => (d.host === 'local' ? pool : `${d.host}:${pool}`);

const missingFindings = (d: PoolsData): Finding[] =>
  d.missing.map((p) => ({ state: 'CRITICAL', subject: subjectOf(d, p), text: 'no such pool (not imported?)', hint: `zpool import ${p}` }));

/** `thresholds` apply to the sum of read/write/checksum errors of a pool's vdevs. */
export const evaluateHealth = (d: PoolsData, o: { degradedIsCritical: boolean; thresholds: Thresholds; maxDetails?: number | undefined }): Evaluation => {
  const findings: Finding[] = [...missingFindings(d)];
  let errors = 0;
  let problems = 0;
  for (const p of d.pools) {
    const subject = subjectOf(d, p.name);
    const st = d.status.get(p.name);
    if (st === undefined || st instanceof Error) {
      findings.push({ state: 'UNKNOWN', subject, text: `health ${p.health}; zpool status unreadable: ${st?.message ?? 'not read'}` });
      continue;
    }
    const parts: { state: ServiceState; text: string }[] = [];
    const poolState = STATE_OF[st.state] ?? 'CRITICAL';
    parts.push({ state: poolState === 'WARNING' && o.degradedIsCritical ? 'CRITICAL' : poolState, text: st.state });
    // Spares show AVAIL / INUSE; any other state below the pool line than ONLINE is a device problem.
    const down = st.vdevs.filter((v) => v.depth > 0 && !(v.state in STATE_OF) && v.state !== 'AVAIL' && v.state !== 'INUSE');
    for (const v of down) parts.push({ state: 'WARNING', text: `${v.name} ${v.state}` });
    const erring = st.vdevs.filter((v) => v.depth > 0 && v.read + v.write + v.cksum > 0);
    const count = erring.reduce((n, v) => n + v.read + v.write + v.cksum, 0);
    errors += count;
    const es = evaluate(count, o.thresholds);
    if (count > 0) {
      const r = es === 'CRITICAL' ? o.thresholds.critical : es === 'WARNING' ? o.thresholds.warning : undefined;
      const where = erring.map((v) => `${v.name} ${v.read}/${v.write}/${v.cksum}`).join(', ');
      parts.push({ state: es, text: `${count} vdev errors${r ? ` (${violation(r, count)})` : ''} (read/write/cksum: ${where})` });
    }
    if (st.errors && !/^No known data errors/i.test(st.errors)) parts.push({ state: 'CRITICAL', text: `data errors: ${st.errors}` });
    if (st.scan === 'resilver-in-progress') parts.push({ state: 'WARNING', text: 'resilver in progress' });
    const state = parts.reduce<ServiceState>((w, x) => (rank(x.state) > rank(w) ? x.state : w), 'OK');
    if (state !== 'OK') problems++;
    const notes = [
      ...(st.status ? [`status: ${st.status}`] : []),
      ...(st.action ? [`action: ${st.action}`] : []),
      ...(st.scanText ? [`scan: ${st.scanText}`] : []),
    ];
    findings.push({ state, subject, text: parts.map((x) => x.text).join(', '), notes, ...(state !== 'OK' ? { hint: `zpool status -v ${p.name}` } : {}) });
  }
  return {
    noun: 'pool',
    findings,
    perfdata: [
      { label: 'pools', value: d.pools.length, min: 0 },
      { label: 'unhealthy', value: problems + d.missing.length, min: 0 },
      { label: 'vdev_errors', value: errors, min: 0 },
    ],
    okText: `${d.pools.length} pools ONLINE, no errors`,
    maxDetails: o.maxDetails,
  };
};

const rank = (s: ServiceState): number => ({ OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 })[s];

export const evaluateCapacity = (d: PoolsData, o: { thresholds: Thresholds; maxDetails?: number | undefined }): Evaluation => {
  const findings: Finding[] = [...missingFindings(d)];
  const perfdata: Perfdatum[] = [];
  for (const p of d.pools) {
    const state = evaluate(p.capacity, o.thresholds);
    const r = state === 'CRITICAL' ? o.thresholds.critical : state === 'WARNING' ? o.thresholds.warning : undefined;
    const approx = p.exact ? '' : '~';
    findings.push({
      state,
      subject: subjectOf(d, p.name),
      text: `${p.capacity}% used${r ? ` (${violation(r, p.capacity)}%)` : ''}, ${approx}${formatSize(p.free)} free of ${approx}${formatSize(p.size)}`,
      ...(state !== 'OK' ? { hint: `free space or grow the pool; see zfs list -o space -r ${p.name}` } : {}),
    });
    perfdata.push({ label: p.name, value: p.capacity, uom: '%', warning: o.thresholds.warning, critical: o.thresholds.critical, min: 0, max: 100 });
    // Sizes only where zpool printed exact bytes: rounded values would graph as steps.
    if (p.exact) perfdata.push({ label: `${p.name} used`, value: p.allocated, uom: 'B', min: 0, max: p.size });
  }
  const worst = d.pools.reduce<PoolInfo | null>((w, p) => (w === null || p.capacity > w.capacity ? p : w), null);
  return {
    noun: 'pool',
    findings,
    perfdata,
    okText: worst ? `${d.pools.length} pools, fullest ${worst.name} ${worst.capacity}%` : undefined,
    maxDetails: o.maxDetails,
  };
};
