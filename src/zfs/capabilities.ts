// What a host's zfs can do, probed once (usage text, property list, version) and cached per host for an hour.
// A version number alone is not enough: zfs-fuse and old OpenZFS have no `zfs version`, so flags are read
// from the usage text each binary prints for `zfs -?`, which lists exactly the options it accepts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { classifyZfsFailure } from './classify.js';
import { ZfsError } from './errors.js';
import type { Capabilities, Runner, ZfsImplementation } from './types.js';

export const CAPS_TTL_MS = 60 * 60 * 1000;

/** Raw outputs of the probes; capabilitiesFromProbes is pure so it is tested on captured real outputs. */
export interface CapabilityProbes {
  /** `zfs -?` (stdout, or stderr where a build prints usage there). */
  readonly zfsUsage: string;
  /** `zfs version` stdout, or null when the command does not exist. */
  readonly zfsVersion: string | null;
  /** `zfs get` without arguments: the property table (stderr). */
  readonly zfsProperties: string;
  /** `zpool -?`. */
  readonly zpoolUsage: string;
  /** `zpool upgrade -v`. */
  readonly zpoolUpgrade: string;
  /** Output of `zfs holds <missing snapshot>`: fails normally where holds works, with an internal error where not. */
  readonly holdsProbe: string;
  /** Package version (dpkg) where `zfs version` is missing, else null. */
  readonly packageVersion: string | null;
}

/** Usage entries of one subcommand: its lines plus their continuation lines. */
export const usageOf = (usage: string, command: string): string => {
  const lines = usage.split('\n');
  const out: string[] = [];
  let inEntry = false;
  for (const line of lines) {
    const m = /^\t(\S+)/.exec(line);
    if (m) inEntry = m[1] === command;
    else if (!/^\s{2,}\S/.test(line) && !/^\t\s+\S/.test(line)) inEntry = false;
    if (inEntry) out.push(line);
  }
  return out.join('\n');
};

/** Single-letter flags in a usage entry: `[-DLPbce]`, `[-i|-I snapshot]`, `-t <token>`, zfs-fuse's `-[iI]`. */
export const flagsOf = (entry: string): Set<string> => {
  const flags = new Set<string>();
  for (const m of entry.matchAll(/(?:^|[\s[|])-([A-Za-z]+)/g)) for (const c of m[1] as string) flags.add(c);
  for (const m of entry.matchAll(/-\[([A-Za-z]+)\]/g)) for (const c of m[1] as string) flags.add(c);
  return flags;
};

const hasCommand = (usage: string, command: string): boolean => usageOf(usage, command) !== '';

/** Property names in the `zfs get` table. */
const propertyNames = (table: string): Set<string> => new Set([...table.matchAll(/^\t([a-z_@#<>:.]+)\s+(YES|NO)\s/gm)].map((m) => m[1] as string));

export const capabilitiesFromProbes = (p: CapabilityProbes): Capabilities => {
  const ver = p.zfsVersion === null ? null : /^zfs-(\d+\.\d+(?:\.\d+)?)/m.exec(p.zfsVersion);
  const poolVersion = /running ZFS pool version (\d+)/.exec(p.zpoolUpgrade);
  // Pool version 5000 means feature flags (OpenZFS); zfs-fuse stops at legacy version 23.
  const legacy = poolVersion !== null && Number(poolVersion[1]) < 5000;
  const implementation: ZfsImplementation = ver === null && legacy ? 'zfs-fuse' : 'openzfs';
  const version =
    ver?.[1] ?? (p.packageVersion ? /^(\d+(?:\.\d+)*)/.exec(p.packageVersion)?.[1] : undefined) ?? (poolVersion ? `pool-v${poolVersion[1]}` : 'unknown');

  const u = p.zfsUsage;
  const send = flagsOf(usageOf(u, 'send'));
  const recv = flagsOf(usageOf(u, 'receive'));
  const list = flagsOf(usageOf(u, 'list'));
  const get = flagsOf(usageOf(u, 'get'));
  const props = propertyNames(p.zfsProperties);
  const bookmarks = hasCommand(u, 'bookmark');
  const holds = hasCommand(u, 'hold') && hasCommand(u, 'release');
  const zpoolList = flagsOf(usageOf(p.zpoolUsage, 'list'));
  return {
    implementation,
    version,
    listParsable: list.has('p'),
    listTypes: bookmarks && get.has('t') && /bookmark/.test(usageOf(u, 'get')),
    bookmarks,
    resume: send.has('t') && recv.has('s') && recv.has('A') && props.has('receive_resume_token'),
    holds,
    holdsList: holds && hasCommand(u, 'holds') && !/internal error|pyzfs/.test(p.holdsProbe),
    written: props.has('written'),
    // `snapshot ... <fs>@<snap> ...`: the trailing `...` means several names in one (atomic) call.
    multiSnapshot: /<[^>]*snap[^>]*>\s*\.\.\./.test(usageOf(u, 'snapshot')),
    // `destroy ... <filesystem|volume>@<snap>[%<snap>][,...]`.
    destroyList: /\[,\.\.\.\]/.test(usageOf(u, 'destroy')),
    recvUnmounted: recv.has('u'),
    recvProps: recv.has('o') && recv.has('x'),
    sendEstimate: send.has('n') && send.has('P'),
    rawSend: send.has('w'),
    compressedSend: send.has('c'),
    largeBlocks: send.has('L'),
    embeddedData: send.has('e'),
    encryption: hasCommand(u, 'load-key') && props.has('encryption'),
    poolListParsable: zpoolList.has('p'),
  };
};

const PROBE_TIMEOUT_MS = 20_000;

/** Run the probes on a host (in parallel: over ssh they share one master connection). */
export const detectCapabilities = async (runner: Runner, signal?: AbortSignal): Promise<Capabilities> => {
  const run = async (argv: string[]): Promise<{ ok: boolean; text: string; stdout: string }> => {
    const r = await runner.exec(argv, { allowFailure: true, timeoutMs: PROBE_TIMEOUT_MS, signal });
    return { ok: r.exitCode === 0, text: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
  };
  const [usage, version, props, zpoolUsage, upgrade, holdsProbe] = await Promise.all([
    run(['zfs', '-?']),
    run(['zfs', 'version']),
    run(['zfs', 'get']),
    run(['zpool', '-?']),
    run(['zpool', 'upgrade', '-v']),
    run(['zfs', 'holds', 'zfailover-capability-probe@none']),
  ]);
  if (!/where 'command' is one of the following/.test(usage.text)) {
    // A host without zfs (not installed, not on the session's PATH) needs the operator: CRITICAL with the fix.
    if (classifyZfsFailure(usage.text, ['zfs', '-?'], 127) === 'command-not-found') {
      throw new ZfsError({
        reason: 'command-not-found',
        argv: ['zfs', '-?'],
        host: runner.label,
        exitCode: 127,
        stderr: usage.text,
        message: `zfs not found on ${runner.label}`,
      });
    }
    // Otherwise say why (`Permission denied`, `failed to initialize ZFS library`): the first line zfs printed.
    const cause = usage.text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '');
    throw new ZfsError({
      reason: 'unsupported',
      argv: ['zfs', '-?'],
      host: runner.label,
      exitCode: null,
      stderr: usage.text,
      message: `no usable zfs command on ${runner.label}${cause ? `: ${cause.slice(0, 160)}` : ''}`,
    });
  }
  let packageVersion: string | null = null;
  if (!version.ok) {
    const pkg = await run(['dpkg-query', '-W', '-f', '${Version}', 'zfs-fuse']);
    packageVersion = pkg.ok ? pkg.stdout.trim() : null;
  }
  return capabilitiesFromProbes({
    zfsUsage: usage.text,
    zfsVersion: version.ok ? version.stdout : null,
    zfsProperties: props.text,
    zpoolUsage: zpoolUsage.text,
    zpoolUpgrade: upgrade.text,
    holdsProbe: holdsProbe.text,
    packageVersion,
  });
};

const CAPABILITY_KEYS: readonly (keyof Capabilities)[] = [
  'implementation',
  'version',
  'listParsable',
  'listTypes',
  'bookmarks',
  'resume',
  'holds',
  'holdsList',
  'written',
  'multiSnapshot',
  'destroyList',
  'recvUnmounted',
  'recvProps',
  'sendEstimate',
  'rawSend',
  'compressedSend',
  'largeBlocks',
  'embeddedData',
  'encryption',
  'poolListParsable',
];

/** The cached record if it is complete and well-typed, else null (a corrupt cache is simply re-detected). */
export const parseCapsCache = (text: string): { detectedAt: number; caps: Capabilities } | null => {
  try {
    const o = JSON.parse(text) as { detectedAt?: unknown; caps?: Record<string, unknown> };
    if (typeof o.detectedAt !== 'number' || typeof o.caps !== 'object' || o.caps === null) return null;
    for (const k of CAPABILITY_KEYS) {
      const v = o.caps[k];
      const want = k === 'implementation' || k === 'version' ? 'string' : 'boolean';
      if (typeof v !== want) return null;
    }
    if (o.caps.implementation !== 'openzfs' && o.caps.implementation !== 'zfs-fuse') return null;
    return { detectedAt: o.detectedAt, caps: Object.fromEntries(CAPABILITY_KEYS.map((k) => [k, o.caps?.[k]])) as unknown as Capabilities };
  } catch {
    return null;
  }
};

export const capsCachePath = (stateDir: string, label: string): string => `${stateDir}/cache/caps-${label.replace(/[^A-Za-z0-9@.:_[\]-]/g, '_')}.json`;

/** Capabilities of the runner's host: from `<stateDir>/cache/caps-<label>.json` when younger than an hour. */
export const loadCapabilities = async (runner: Runner, stateDir: string, nowMs: number, signal?: AbortSignal): Promise<Capabilities> => {
  const path = capsCachePath(stateDir, runner.label);
  let cached: ReturnType<typeof parseCapsCache> = null;
  try {
    cached = parseCapsCache(readFileSync(path, 'utf8'));
  } catch {
    // no cache yet
  }
  if (cached && nowMs - cached.detectedAt >= 0 && nowMs - cached.detectedAt < CAPS_TTL_MS) return cached.caps;
  const caps = await detectCapabilities(runner, signal);
  mkdirSync(`${stateDir}/cache`, { recursive: true, mode: 0o700 });
  // A random name created exclusively (O_EXCL never follows a link planted at a guessable name).
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ detectedAt: nowMs, host: runner.label, caps }, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  renameSync(tmp, path);
  return caps;
};
