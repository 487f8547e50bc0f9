// Per-pool narrowing of a host's capabilities: a pool created without (or never upgraded to) a feature cannot
// use it even when the host's zfs can, e.g. `recv -s` needs extensible_dataset. Host caps come from
// capabilities.ts; the features of the pools at both ends of a stream decide what a transfer may use.
import { badOutput } from './errors.js';
import type { Capabilities, Runner } from './types.js';

/** Pool features behind capability flags (OpenZFS feature flags; zfs-fuse's legacy pools have none). */
export const FEATURE_OF: Readonly<Partial<Record<keyof Capabilities, string>>> = {
  resume: 'extensible_dataset',
  bookmarks: 'bookmarks',
  rawSend: 'encryption',
  encryption: 'encryption',
  largeBlocks: 'large_blocks',
  embeddedData: 'embedded_data',
  // A compressed stream carries blocks as compressed on the source: lz4, OpenZFS's default (zstd blocks would
  // need zstd_compress, which is not checked: the receive then fails with zfs's own message).
  compressedSend: 'lz4_compress',
};

const FEATURES = [...new Set(Object.values(FEATURE_OF))];

/** `feature@x -> enabled|active|disabled` from `zpool get -H -p -o name,property,value`. */
export const parsePoolFeatures = (text: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const [, prop, value] = line.split('\t');
    if (prop?.startsWith('feature@') && value !== undefined) out.set(prop.slice('feature@'.length), value);
  }
  return out;
};

/** The host's capabilities minus what the pool's features forbid (a feature that is neither enabled nor active). */
export const narrowForPool = (caps: Capabilities, features: ReadonlyMap<string, string>): Capabilities => {
  const out: Record<string, unknown> = { ...caps };
  for (const [cap, feature] of Object.entries(FEATURE_OF)) {
    const state = features.get(feature as string);
    if (state !== 'enabled' && state !== 'active') out[cap] = false;
  }
  return out as unknown as Capabilities;
};

/** Capabilities usable on `pool` of the runner's host; zfs-fuse pools (no feature flags) keep the host's. */
export const poolCapabilities = async (runner: Runner, caps: Capabilities, pool: string, signal?: AbortSignal): Promise<Capabilities> => {
  if (caps.implementation !== 'openzfs') return caps;
  const argv = ['zpool', 'get', '-H', '-p', '-o', 'name,property,value', FEATURES.map((f) => `feature@${f}`).join(','), pool];
  const r = await runner.exec(argv, { signal });
  const features = parsePoolFeatures(r.stdout);
  if (features.size === 0) throw badOutput(argv, runner.label, `no feature flags in zpool get output for ${pool} on ${runner.label}`, { stderr: r.stderr });
  return narrowForPool(caps, features);
};
