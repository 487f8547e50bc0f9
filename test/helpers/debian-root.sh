#!/usr/bin/env bash
# A clean Debian 12 (bookworm; ZFO_DEBIAN_SUITE=trixie for Debian 13) root for the packaging tests, built with debootstrap once and cached.
#   test/helpers/debian-root.sh build [PKG...]   prints the cached root's path (builds it first when missing)
#   test/helpers/debian-root.sh run ROOT CMD...  runs CMD chrooted in a throwaway overlay on ROOT
# Only Debian's own mirror is used: no third-party repository. `build` installs PKG (e.g. nodejs) into the root;
# with --download DL... it also leaves DL's .debs (and their dependencies) in the root's apt archive, so a later
# `apt-get install ./x.deb` resolves them from Debian's index without downloading them again on every test run.
#
# Why cached and locked: a debootstrap costs minutes on a busy 2-core machine. The root lives under
# $ZFO_DEBIAN_CACHE (default /var/cache/zfailover-test/debian12), one directory per key (the sha256 of the suite,
# the mirror, the package lists and this script's format version), so every test file and every vitest run reuses
# it. The build runs under an flock on the key, into a temporary directory renamed into place when complete: two
# test files or two concurrent vitest runs wait for the one build instead of building twice, and a build that died
# half way is never used (its leftover is removed by the next build).
# The cache is never refreshed by itself (its apt lists and its .debs stay consistent): remove the directory to
# rebuild with Debian's current packages.
#
# `run` never writes to the cached root: it mounts an overlay (the cache as the read-only lower layer, the upper
# layer in a temporary directory given by $ZFO_OVERLAY, default a fresh one removed afterwards) in a private mount
# namespace (unshare), with /proc and /dev, and chroots there. Every mount dies with the namespace, so a killed test
# leaves no mount behind.
set -euo pipefail

SUITE=${ZFO_DEBIAN_SUITE:-bookworm} # trixie (Debian 13) for its Node.js 20
MIRROR=${ZFO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${ZFO_DEBIAN_SEC_MIRROR:-http://deb.debian.org/debian-security}
if [ "$SUITE" = bookworm ]; then CACHE=${ZFO_DEBIAN_CACHE:-/var/cache/zfailover-test/debian12}
else CACHE=${ZFO_DEBIAN_CACHE:-/var/cache/zfailover-test/$SUITE}; fi
LOCK_TIMEOUT=${ZFO_DEBIAN_LOCK_TIMEOUT:-1800}
FORMAT=1
die() { echo "debian-root.sh: $*" >&2; exit 1; }
# The root's /dev: a private tmpfs with the few nodes programs need, never the host's /dev bind-mounted (a package
# script or a command in the root must not be able to replace the host's /dev/null).
DEV_NODES='dev_nodes() {
  mount -t tmpfs -o mode=0755,nosuid,size=64k devtmp "$1"
  mknod -m 0666 "$1/null" c 1 3; mknod -m 0666 "$1/zero" c 1 5; mknod -m 0666 "$1/full" c 1 7
  mknod -m 0666 "$1/random" c 1 8; mknod -m 0666 "$1/urandom" c 1 9; mknod -m 0666 "$1/tty" c 5 0
  ln -s /proc/self/fd "$1/fd"; ln -s /proc/self/fd/0 "$1/stdin"; ln -s /proc/self/fd/1 "$1/stdout"; ln -s /proc/self/fd/2 "$1/stderr"
  mkdir "$1/pts" "$1/shm"
}
'

# In a private mount namespace: overlay on the root, /proc and /dev inside, then chroot. $1 = lower root.
run_in() {
  local lower=$1; shift
  local upper_base=${ZFO_OVERLAY:-} tmp=''
  if [ -z "$upper_base" ]; then tmp=$(mktemp -d /var/tmp/zfo-overlay.XXXXXX); upper_base=$tmp; fi
  mkdir -p "$upper_base/upper" "$upper_base/work" "$upper_base/merged"
  local rc=0
  unshare --mount --propagation private -- /bin/sh -euc "$DEV_NODES"'
    lower=$1 up=$2; shift 2
    mount -t overlay overlay -o "lowerdir=$lower,upperdir=$up/upper,workdir=$up/work" "$up/merged"
    mount -t proc proc "$up/merged/proc"
    dev_nodes "$up/merged/dev"
    exec chroot "$up/merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive "$@"
  ' sh "$lower" "$upper_base" "$@" || rc=$?
  if [ -n "$tmp" ]; then rm -rf --one-file-system "$tmp"; fi
  return $rc
}

build() {
  local pkgs=() dl=() mode=pkgs
  for a in "$@"; do
    if [ "$a" = --download ]; then mode=dl; elif [ $mode = pkgs ]; then pkgs+=("$a"); else dl+=("$a"); fi
  done
  local key
  key=$(printf '%s\n' "$FORMAT" "$SUITE" "$MIRROR" "$SEC_MIRROR" "pkgs:" $(printf '%s\n' "${pkgs[@]}" | sort -u) \
    "dl:" $(printf '%s\n' "${dl[@]}" | sort -u) | sha256sum | cut -c1-16)
  local dir=$CACHE/$key
  if [ -f "$dir/.ok" ]; then echo "$dir/root"; return; fi
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/install-deps.sh installs it)"
  mkdir -p "$CACHE"
  exec 9>"$CACHE/$key.lock"
  flock -w "$LOCK_TIMEOUT" 9 || die "timed out after ${LOCK_TIMEOUT}s waiting for $CACHE/$key.lock (another build?)"
  if [ -f "$dir/.ok" ]; then echo "$dir/root"; return; fi # built by whoever held the lock
  rm -rf --one-file-system "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  local log=$dir.tmp/build.log inc=ca-certificates
  echo "debian-root.sh: debootstrap $SUITE into $dir (once; log $log)" >&2
  debootstrap --variant=minbase --include="$inc" "$SUITE" "$dir.tmp/root" "$MIRROR" >"$log" 2>&1 \
    || { tail -20 "$log" >&2; die "debootstrap failed (log: $log)"; }
  local r=$dir.tmp/root
  cat >"$r/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SEC_MIRROR $SUITE-security main
EOF
  # No daemons started by maintainer scripts; no recommends (a minimal server); keep downloaded .debs.
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAPT::Keep-Downloaded-Packages "true";\nBinary::apt::APT::Keep-Downloaded-Packages "true";\n' \
    >"$r/etc/apt/apt.conf.d/90zfo-test"
  rm -f "$r/etc/apt/apt.conf.d/docker-clean"
  cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
  # Straight into the root (not through the overlay): this is the cache being built.
  in_root() {
    unshare --mount --propagation private -- /bin/sh -euc "$DEV_NODES"'
      r=$1; shift; mount -t proc proc "$r/proc"; dev_nodes "$r/dev"
      exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' sh "$r" "$@"
  }
  in_root apt-get update -q >>"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get update failed (log: $log)"; }
  if [ ${#pkgs[@]} -gt 0 ]; then
    in_root apt-get install -y -q "${pkgs[@]}" >>"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get install ${pkgs[*]} failed (log: $log)"; }
  fi
  if [ ${#dl[@]} -gt 0 ]; then
    in_root apt-get install -y -q --download-only "${dl[@]}" >>"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get download ${dl[*]} failed (log: $log)"; }
  fi
  printf '%s\n' "${pkgs[@]}" "--download" "${dl[@]}" >"$dir.tmp/packages"
  mv "$dir.tmp" "$dir"
  date -u +%FT%TZ >"$dir/.ok"
  echo "$dir/root"
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
cmd=${1:-}; shift || true
case "$cmd" in
  build) build "$@" ;;
  run) [ $# -ge 2 ] || die "usage: run ROOT CMD..."; run_in "$@" ;;
  *) die "usage: debian-root.sh build [PKG...] [--download PKG...] | run ROOT CMD..." ;;
esac
