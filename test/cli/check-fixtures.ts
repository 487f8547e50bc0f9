// A scripted `zfs` for contract tests of the built check_zfs_* executables: it prints listings generated in the
// exact column order the adapter asks for (as OpenZFS 2.3 would), can fail or hang per root, and records each
// call. Capabilities are pre-cached in the private state directory, as after a real run. Real ZFS behaviour is
// covered by test/zfs/check-*.test.ts; this tier covers what real ZFS cannot stage on demand (hung commands,
// 1,000 datasets, resume tokens, OpenZFS-only properties on this zfs-fuse machine).
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { capabilitiesFromProbes, capsCachePath } from '../../src/zfs/capabilities.js';
import { listArgv } from '../../src/zfs/list.js';
import type { Capabilities } from '../../src/zfs/types.js';
import { TEST_ROOT, uniqueName } from '../helpers/zfs-fuse.js';

const FIXTURES = new URL('../fixtures/zfs/openzfs-2.3/', import.meta.url).pathname;

export const openzfsCaps = (): Capabilities => {
  const fx = (f: string): string => readFileSync(`${FIXTURES}${f}`, 'utf8');
  return capabilitiesFromProbes({
    zfsUsage: fx('probe-zfs-usage.txt'),
    zfsVersion: fx('probe-zfs-version.txt'),
    zfsProperties: fx('probe-zfs-get.txt'),
    zpoolUsage: fx('probe-zpool-usage.txt'),
    zpoolUpgrade: fx('probe-zpool-upgrade.txt'),
    holdsProbe: fx('probe-holds.txt'),
    packageVersion: null,
  });
};

/** One dataset row plus its snapshots: `snaps` are [name, guid, createtxg, creation]. */
export interface FakeDataset {
  readonly name: string;
  readonly snaps: readonly (readonly [string, string, number, number])[];
  readonly props?: Readonly<Record<string, string>>;
}

export interface FakeZfs {
  readonly dir: string;
  readonly stateDir: string;
  /** Environment for the executables: the fake first on PATH. */
  readonly env: Record<string, string>;
  /** The listing of a root (recursive or not, the fake ignores the difference). */
  setListing(root: string, datasets: readonly FakeDataset[]): void;
  /** Make `zfs list ... root` fail with this stderr, or hang for `sleepSec` seconds first. */
  failListing(root: string, stderr: string): void;
  hangListing(root: string, sleepSec: number): void;
  /** Output of `zfs send -nvP ...` (an estimate) for any arguments. */
  setSendEstimate(bytes: number): void;
  /** What `zfs send -nvt TOKEN` prints for any token: the stream leads to `toName` with GUID `toGuid`. */
  setResumeToken(toName: string, toGuid: string, bytes: number): void;
  /** Argument lines of every call so far. */
  calls(): string[];
  cleanup(): void;
}

const key = (root: string): string => root.replace(/\//g, '%');

export const fakeZfs = (caps: Capabilities = openzfsCaps()): FakeZfs => {
  const dir = `${TEST_ROOT}/${uniqueName('fakezfs-')}`;
  const stateDir = `${dir}/state`;
  mkdirSync(`${dir}/bin`, { recursive: true });
  mkdirSync(`${dir}/list`, { recursive: true });
  mkdirSync(`${stateDir}/cache`, { recursive: true });
  writeFileSync(capsCachePath(stateDir, 'local'), JSON.stringify({ detectedAt: Date.now() - 1000, host: 'local', caps }));
  // Roots are the last argument of `zfs list`; `%` stands for `/` in file names.
  writeFileSync(
    `${dir}/bin/zfs`,
    `#!/bin/bash
echo "$*" >> "${dir}/calls.log"
last="\${!#}"; k="\${last//\\//%}"
if [ "$1" = list ]; then
  # exec: the hung command is this process itself, as a hung zfs would be.
  [ -f "${dir}/list/$k.sleep" ] && exec sleep "$(cat "${dir}/list/$k.sleep")"
  if [ -f "${dir}/list/$k.err" ]; then cat "${dir}/list/$k.err" >&2; exit 1; fi
  if [ -f "${dir}/list/$k.txt" ]; then cat "${dir}/list/$k.txt"; exit 0; fi
  echo "cannot open '$last': dataset does not exist" >&2; exit 1
fi
if [ "$1" = send ] && [ "$2" = -nvt ] && [ -f "${dir}/token.txt" ]; then cat "${dir}/token.txt"; exit 0; fi
if [ "$1" = send ] && [ "$2" = -nvP ] && [ -f "${dir}/send.txt" ]; then cat "${dir}/send.txt"; exit 0; fi
echo "fake zfs: unexpected: $*" >&2; exit 2
`,
  );
  chmodSync(`${dir}/bin/zfs`, 0o755);
  const columnsFor = (root: string): string[] => {
    const { argv } = listArgv(caps, root, { recursive: true, columns: 'replication' });
    return (argv[argv.indexOf('-o') + 1] as string).split(',');
  };
  return {
    dir,
    stateDir,
    env: { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: dir },
    setListing(root, datasets) {
      const cols = columnsFor(root);
      const out: string[] = [];
      const row = (v: Record<string, string>): void => void out.push(cols.map((c) => v[c] ?? '-').join('\t'));
      for (const d of datasets) {
        row({
          name: d.name,
          type: 'filesystem',
          guid: `77${d.name.length}${out.length}`,
          createtxg: '1',
          creation: String(Math.floor(Date.now() / 1000) - 30 * 86_400),
          written: '0',
          readonly: 'off',
          ...d.props,
        });
        for (const [n, guid, txg, creation] of d.snaps)
          row({ name: `${d.name}@${n}`, type: 'snapshot', guid, createtxg: String(txg), creation: String(creation), userrefs: '0' });
      }
      rmSync(`${dir}/list/${key(root)}.err`, { force: true });
      writeFileSync(`${dir}/list/${key(root)}.txt`, `${out.join('\n')}\n`);
    },
    failListing(root, stderr) {
      writeFileSync(`${dir}/list/${key(root)}.err`, `${stderr}\n`);
    },
    hangListing(root, sleepSec) {
      writeFileSync(`${dir}/list/${key(root)}.sleep`, String(sleepSec));
    },
    setSendEstimate(bytes) {
      writeFileSync(`${dir}/send.txt`, `incremental\tfrom\tto\t${bytes}\nsize\t${bytes}\n`);
    },
    setResumeToken(toName, toGuid, bytes) {
      const hex = (n: string | number): string => `0x${BigInt(n).toString(16)}`;
      writeFileSync(
        `${dir}/token.txt`,
        `resume token contents:\nnvlist version: 0\n\tobject = 0x1\n\toffset = 0x0\n\tbytes = ${hex(bytes)}\n\ttoguid = ${hex(toGuid)}\n\ttoname = ${toName}\n`,
      );
    },
    calls() {
      try {
        return readFileSync(`${dir}/calls.log`, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
