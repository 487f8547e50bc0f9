// The OpenZFS 2.3 qemu guest (test/openzfs/openzfs-vm.sh conventions: 127.0.0.1:2222, the lab key, host key
// pinned by ssh-keyscan into our own known_hosts). Other engineers use its pools: the bench only creates and
// destroys src/<root> and dst/<root>, tagged with this process (zfotest:owner) so the test harness's sweep
// removes them if the bench dies before its own cleanup.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { onCleanup } from './cleanup.mjs';
import { must, run } from './proc.mjs';
import { startMaster } from './sshd.mjs';

export const GUEST_PORT = Number(process.env.ZFSLAB_SSH_PORT ?? 2222);
export const GUEST_KEY = `${process.env.ZFSLAB_CACHE ?? '/var/cache/zfslab'}/ssh/id_ed25519`;
const OWNER_PROP = 'zfotest:owner';

/** `pid:start-time` as test/openzfs/guest-scripts.ts tags its roots, so its leak sweep recognises ours. */
const ownerTag = () => {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return `${process.pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
};

/** {reason} when the guest cannot be used, else a session: {sshOptions, knownHostsFile, exec(cmd), close()}. */
export const connectGuest = async (workDir) => {
  if (!existsSync(GUEST_KEY)) return { reason: `no lab key ${GUEST_KEY} (the guest was never built here: test/openzfs/README.md)` };
  const scan = await run('ssh-keyscan', ['-T', '20', '-p', String(GUEST_PORT), '-t', 'ed25519', '127.0.0.1'], { cpu: false, timeoutMs: 40_000 });
  const keyLine = scan.stdout.split('\n').find((l) => l.startsWith(`[127.0.0.1]:${GUEST_PORT} `));
  if (!keyLine) return { reason: `nothing answers ssh on 127.0.0.1:${GUEST_PORT} (start it: test/openzfs/openzfs-vm.sh start)` };
  const knownHostsFile = `${workDir}/guest_known_hosts`;
  writeFileSync(knownHostsFile, `${keyLine}\n`);
  const sshOptions = [`UserKnownHostsFile=${knownHostsFile}`, 'GlobalKnownHostsFile=/dev/null', 'IdentitiesOnly=yes'];
  const socket = `${workDir}/guest-mux`;
  const base = [
    'ssh',
    '-i',
    GUEST_KEY,
    '-p',
    String(GUEST_PORT),
    ...sshOptions.flatMap((o) => ['-o', o]),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=60',
    'root@127.0.0.1',
  ];
  // Our own master for fixture commands: every new connection costs seconds of key exchange under TCG.
  if (!(await startMaster('to the guest', base, socket))) return { reason: `the guest on 127.0.0.1:${GUEST_PORT} refuses the lab key or does not answer` };
  const exec = (command, timeoutMs = 600_000) =>
    must('ssh', ['-o', 'ControlMaster=no', '-o', `ControlPath=${socket}`, ...base.slice(1), '--', command], { timeoutMs });
  const version = (await exec('zfs version | head -1')).stdout.trim();
  const pools = (await exec('zpool list -H -o name')).stdout.split('\n');
  if (!pools.includes('src') || !pools.includes('dst'))
    return { reason: `the guest has no src/dst pools (${pools.join(' ')}): test/openzfs/openzfs-vm.sh ensure-pools` };
  return { port: GUEST_PORT, key: GUEST_KEY, knownHostsFile, sshOptions, version, exec };
};

/** Single-quote for the guest's shell (names we build ourselves; never operator input). */
const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * src/<name> and dst/<name>, tagged with our owner tag; inside src/<name>: one dataset per entry of `trees`
 * ({z1: 0, z50: 50}: name -> children, or {children, zvols}: the last `zvols` children are sparse 8 MiB zvols),
 * each filesystem with a small file. Registers the destruction of both roots.
 */
export const guestRoots = async (guest, name, trees) => {
  const owner = `${OWNER_PROP}=${ownerTag()}`;
  await guest.exec(`zfs create -o ${sq(owner)} ${sq(`src/${name}`)} && zfs create -o ${sq(owner)} ${sq(`dst/${name}`)}`);
  onCleanup(`guest datasets src/${name} dst/${name}`, () => guest.exec(destroyScript([`src/${name}`, `dst/${name}`]), 300_000));
  const create = Object.entries(trees)
    .map(([t, spec]) => {
      const { children: n, zvols = 0 } = typeof spec === 'number' ? { children: spec } : spec;
      const root = sq(`src/${name}/${t}`);
      const fs = n - zvols > 0 ? `; for i in $(seq -w 0 ${n - zvols - 1}); do zfs create ${root}/c$i; done` : '';
      const vols = zvols > 0 ? `; for i in $(seq -w 0 ${zvols - 1}); do zfs create -s -V 8M ${root}/vm-$i-disk-0; done` : '';
      return `zfs create ${root}${fs}${vols}`;
    })
    .join('; ');
  const files = `zfs list -H -o name,mountpoint -t filesystem -r ${sq(`src/${name}`)} | while IFS=$'\\t' read -r ds mp; do echo "$ds" > "$mp/file"; done; zpool sync src`;
  await guest.exec(`set -e; ${create}; ${files}`);
};

/** Releases every hold (zfailover holds the target's common snapshot), then destroys, retrying while busy. */
const destroyScript = (roots) =>
  [
    'rc=0',
    `for root in ${roots.map(sq).join(' ')}; do`,
    '  case $root in src/zfobench-*|dst/zfobench-*) ;; *) echo "refusing $root" >&2; rc=1; continue ;; esac',
    '  zfs list -H -o name "$root" >/dev/null 2>&1 || continue',
    '  zfs get -H -p -o name,value -t snapshot -r userrefs "$root" | while IFS=$\'\\t\' read -r snap refs; do',
    '    [ "$refs" = 0 ] && continue',
    '    zfs holds -H "$snap" | while IFS=$\'\\t\' read -r _ tag _; do zfs release "$tag" "$snap" || true; done',
    '  done',
    '  ok=0; for i in $(seq 1 30); do if zfs destroy -r -f "$root" 2>/dev/null; then ok=1; break; fi; sleep 2; done',
    '  [ $ok = 1 ] || { echo "cannot destroy $root" >&2; rc=1; }',
    'done',
    'exit $rc',
  ].join('\n');
