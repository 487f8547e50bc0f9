// Shell snippets run inside the OpenZFS guest by the harness and the test helper, their quoting, and the owner
// tag: test roots carry a user property naming the host process that owns them, so the leaks of crashed runs
// can be swept without touching datasets that someone else (a live run, an engineer by hand) is using.
import { readFileSync } from 'node:fs';

/** User property on every test root: `<host pid>:<process start time>` of the owning test process. */
export const OWNER_PROP = 'zfotest:owner';

/** Start time (clock ticks since boot, /proc/PID/stat field 22) of a host process, or null when it is gone. */
export const procStartTime = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
};

export const ownerTag = (pid: number = process.pid): string => `${pid}:${procStartTime(pid) ?? '0'}`;

/** True when the process an owner tag names still runs (same pid and start time). */
export const ownerAlive = (tag: string): boolean => {
  const [pid, start] = tag.split(':');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && procStartTime(n) === start;
};

/** POSIX single-quoting: the guest shell sees exactly `s`. */
export const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Paths we put into guest commands and authorized_keys options: no quoting surprises. */
export const SAFE_PATH = /^\/[A-Za-z0-9/._-]+$/;

/** `export K='v' ...; ` for a guest command line. */
export const envPrefix = (env: Readonly<Record<string, string>> | undefined): string => {
  const entries = Object.entries(env ?? {});
  for (const [k] of entries) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment variable name '${k}'`);
  return entries.length ? `export ${entries.map(([k, v]) => `${k}=${sq(v)}`).join(' ')}; ` : '';
};

/**
 * Destroy test roots (args: dataset names below src/ or dst/): release every hold first (zfailover holds
 * the last common snapshot on targets), then `destroy -r -f`, retrying while the kernel says busy.
 */
export const DESTROY_TREES = String.raw`
set -u
rc=0
for root in "$@"; do
  case $root in src/?*|dst/?*) ;; *) echo "refusing to destroy '$root'" >&2; rc=1; continue ;; esac
  zfs list -H -o name "$root" >/dev/null 2>&1 || continue
  zfs get -H -p -o name,value -t snapshot -r userrefs "$root" | while IFS=$'\t' read -r snap refs; do
    [ "$refs" = 0 ] && continue
    zfs holds -H "$snap" | while IFS=$'\t' read -r _ tag _; do zfs release "$tag" "$snap" || true; done
  done
  for i in $(seq 1 30); do
    if out=$(zfs destroy -r -f "$root" 2>&1); then break; fi
    case $out in
      *busy*) sleep 1 ;;
      *"does not exist"*) break ;;
      *) echo "$out" >&2; rc=1; break ;;
    esac
  done
  if zfs list -H -o name "$root" >/dev/null 2>&1; then echo "could not destroy $root: $out" >&2; rc=1; fi
done
exit $rc
`;

/** A guest command line that runs `script` with bash and the given positional arguments. */
export const bashCommand = (script: string, args: readonly string[] = []): string => `bash -c ${sq(script)} guest ${args.map(sq).join(' ')}`;

/** Lists `name<TAB>owner` of the test roots directly below the pools (args: the pools). */
export const LIST_OWNED_ROOTS = `zfs get -H -o name,value -s local -d 1 ${OWNER_PROP} "$@" 2>/dev/null || true`;
