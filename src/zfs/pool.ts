// Pools: `zpool list` (exact bytes where `-p` exists, rounded sizes on zfs-fuse) and `zpool status` parsed into
// state, per-vdev error counters and scrub/resilver state. The parsers are pure and tested on captured output.
import { parseSize } from '../core/duration.js';
import { badOutput, type ZfsError } from './errors.js';
import type { Capabilities, Runner } from './types.js';

export interface PoolInfo {
  readonly name: string;
  readonly size: number;
  readonly allocated: number;
  readonly free: number;
  /** Percent used. */
  readonly capacity: number;
  readonly health: string;
  /** False when zpool printed rounded sizes (`123M`, zfs-fuse): numbers are then approximate. */
  readonly exact: boolean;
}

export interface VdevStatus {
  readonly name: string;
  /** 0 for the pool line, 1 for top-level vdevs, 2 for their children ... */
  readonly depth: number;
  readonly state: string;
  readonly read: number;
  readonly write: number;
  readonly cksum: number;
  /** Anything after the counters (`16.8M repaired`, `(resilvering)`). */
  readonly note: string;
}

export type ScanState = 'none' | 'scrub-in-progress' | 'scrub-finished' | 'scrub-canceled' | 'resilver-in-progress' | 'resilver-finished' | 'unknown';

export interface PoolStatus {
  readonly name: string;
  readonly state: string;
  readonly status: string | null;
  readonly action: string | null;
  readonly scan: ScanState;
  /** The scan line as zpool printed it. */
  readonly scanText: string | null;
  readonly vdevs: readonly VdevStatus[];
  /** `errors:` line, e.g. `No known data errors`. */
  readonly errors: string | null;
}

const bad = (argv: readonly string[], host: string, why: string, line: string): ZfsError =>
  badOutput(argv, host, `unexpected output from ${argv.slice(0, 2).join(' ')}: ${why}: ${JSON.stringify(line.slice(0, 200))}`);

/** Error counters are exact or rounded (`1.2K`). */
const counter = (s: string): number | null => (/^\d+$/.test(s) ? Number(s) : parseSize(s));

export const parsePoolList = (text: string, exact: boolean, argv: readonly string[] = ['zpool', 'list'], host = 'local'): PoolInfo[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split('\t');
      if (f.length !== 6) throw bad(argv, host, 'expected 6 columns', line);
      const [name, size, alloc, free, cap, health] = f as [string, string, string, string, string, string];
      const n = (s: string): number => {
        const v = exact ? (/^\d+$/.test(s) ? Number(s) : null) : parseSize(s);
        if (v === null) throw bad(argv, host, `not a size: ${s}`, line);
        return v;
      };
      const capacity = Number(cap.replace(/%$/, ''));
      if (!Number.isFinite(capacity)) throw bad(argv, host, `not a capacity: ${cap}`, line);
      return { name, size: n(size), allocated: n(alloc), free: n(free), capacity, health, exact };
    });

const scanState = (text: string | null): ScanState => {
  if (text === null || /none requested/.test(text)) return 'none';
  if (/resilver in progress|resilvering/.test(text)) return 'resilver-in-progress';
  if (/resilvered|resilver completed/.test(text)) return 'resilver-finished';
  if (/scrub in progress/.test(text)) return 'scrub-in-progress';
  if (/scrub canceled/.test(text)) return 'scrub-canceled';
  if (/scrub repaired|scrub completed/.test(text)) return 'scrub-finished';
  return 'unknown';
};

/** `zpool status POOL` (OpenZFS `scan:`, zfs-fuse `scrub:`); multi-line fields are joined with spaces. */
export const parsePoolStatus = (text: string, argv: readonly string[] = ['zpool', 'status'], host = 'local'): PoolStatus => {
  const fields = new Map<string, string>();
  const vdevs: VdevStatus[] = [];
  let key: string | null = null;
  let inConfig = false;
  let baseIndent = -1;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    const field = /^\s*([a-z]+): ?(.*)$/.exec(line);
    if (field && !/^\t/.test(line) && !(inConfig && /^\s{2,}\S/.test(line) && baseIndent >= 0)) {
      key = field[1] as string;
      inConfig = key === 'config';
      if (!inConfig) fields.set(key, (field[2] as string).trim());
      continue;
    }
    if (inConfig) {
      const m = /^(\t)( *)(\S+)\s+(\S+)(?:\s+(\S+)\s+(\S+)\s+(\S+))?\s*(.*)$/.exec(line);
      if (!m) continue;
      if (m[3] === 'NAME' && m[4] === 'STATE') continue;
      if (m[5] === undefined) continue; // spares/cache headings without counters
      const indent = (m[2] as string).length;
      if (baseIndent < 0) baseIndent = indent;
      const [read, write, cksum] = [counter(m[5] as string), counter(m[6] as string), counter(m[7] as string)];
      if (read === null || write === null || cksum === null) throw bad(argv, host, 'error counters are not numbers', line);
      vdevs.push({ name: m[3] as string, depth: Math.round((indent - baseIndent) / 2), state: m[4] as string, read, write, cksum, note: (m[8] ?? '').trim() });
      continue;
    }
    if (key && /^\s+\S/.test(line)) fields.set(key, `${fields.get(key) ?? ''} ${line.trim()}`.trim());
  }
  const name = fields.get('pool');
  const state = fields.get('state');
  if (!name || !state) throw bad(argv, host, 'no pool/state lines', text.split('\n')[0] ?? '');
  const scanText = fields.get('scan') ?? fields.get('scrub') ?? null;
  return {
    name,
    state,
    status: fields.get('status') ?? null,
    action: fields.get('action') ?? null,
    scan: scanState(scanText),
    scanText,
    vdevs,
    errors: fields.get('errors') ?? null,
  };
};

export const poolList = async (runner: Runner, caps: Capabilities, signal?: AbortSignal): Promise<PoolInfo[]> => {
  const cols = ['-o', 'name,size,allocated,free,capacity,health'];
  const argv = caps.poolListParsable ? ['zpool', 'list', '-H', '-p', ...cols] : ['zpool', 'list', '-H', ...cols];
  const r = await runner.exec(argv, { signal });
  return parsePoolList(r.stdout, caps.poolListParsable, argv, runner.label);
};

export const poolStatus = async (runner: Runner, pool: string, signal?: AbortSignal): Promise<PoolStatus> => {
  const argv = ['zpool', 'status', pool];
  const r = await runner.exec(argv, { signal });
  return parsePoolStatus(r.stdout, argv, runner.label);
};
