#!/usr/bin/env bash
# Starts the zfs-fuse daemon the tests share, or restarts one that stopped serving FUSE. Always run under
# `flock -o` (test/helpers/zfs-fuse.ts; -o so that the daemon does not inherit the lock): vitest workers that
# each started a daemon at the same moment on a fresh machine left one that accepted pools but never served
# their mounts, so every `zfs create` hung (CI of stop 10 ran out of time on that).
#   zfs-fuse-daemon.sh ensure            start one unless one answers `zpool list`
#   zfs-fuse-daemon.sh restart PID       restart, unless PID is gone and a daemon answers (another worker did it)
set -uo pipefail
answers() { timeout -s KILL 10 /usr/sbin/zpool list -H >/dev/null 2>&1; }

start() {
  # A larger ARC than Debian's zfsrc (100 MB): with several pools and streams in flight the small one stalls.
  /usr/sbin/zfs-fuse --max-arc-size 1024 || true   # it daemonizes; readiness is `zpool list` answering
  for _ in $(seq 100); do answers && exit 0; sleep 0.2; done
  echo "zfs-fuse did not start within 20 s" >&2
  exit 1
}

# A wedged daemon is killed and its FUSE connections aborted, so that processes stuck on its mounts get an
# error instead of hanging forever; the mounts are detached lazily.
restart() {
  pkill -9 -x zfs-fuse
  conns=/sys/fs/fuse/connections
  [ -n "$(ls "$conns" 2>/dev/null)" ] || mount -t fusectl none "$conns" 2>/dev/null
  for c in "$conns"/*/abort; do [ -e "$c" ] && echo 1 >"$c" 2>/dev/null; done
  awk '$3 == "fuse.zfs" { print $2 }' /proc/mounts | while read -r m; do umount -l "$m" 2>/dev/null; done
  for _ in $(seq 50); do pgrep -x zfs-fuse >/dev/null || break; sleep 0.2; done
  start
}

case ${1:-} in
  ensure)
    answers && exit 0
    if pgrep -x zfs-fuse >/dev/null; then restart; else start; fi ;;
  restart)
    pid=${2:?restart needs the PID seen wedged}
    if ! kill -0 "$pid" 2>/dev/null && answers; then exit 0; fi
    restart ;;
  *) echo "usage: $0 ensure | restart PID" >&2; exit 2 ;;
esac
