#!/usr/bin/env bash
# Demo of the main job on file-backed pools: installs what is needed (zfs-fuse when no ZFS is present), creates
# two pools, writes data, runs several `zfailover sync` cycles with changes in between, then proves the replica
# equals the source (file checksums of a clone of the replica's newest snapshot, and snapshot GUIDs).
# Run as root on Debian 12. Touches only its own pools (zfodemo-src, zfodemo-dst) and /var/tmp/zfailover-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (it creates ZFS pools)" >&2; exit 1; }
scripts/install-deps.sh

DIR=/var/tmp/zfailover-demo
SRC=zfodemo-src
DST=zfodemo-dst
ZFO=(./bin/zfailover --state-dir "$DIR/state")
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ! zpool list >/dev/null 2>&1; then
  if command -v zfs-fuse >/dev/null; then
    say "starting zfs-fuse (user-space ZFS)"
    zfs-fuse --max-arc-size 1024   # Debian's zfsrc caps the ARC at 100 MB, which stalls under load
    for _ in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  zpool list >/dev/null 2>&1 || { echo "no working ZFS (zpool list fails)" >&2; exit 1; }
fi

say "creating file-backed pools $SRC and $DST in $DIR"
for p in $SRC $DST; do   # a previous demo's pools: zfs-fuse may call them busy for a moment
  for i in $(seq 20); do zpool list "$p" >/dev/null 2>&1 || break; zpool destroy -f "$p" 2>/dev/null || sleep 0.5; done
  ! zpool list "$p" >/dev/null 2>&1 || { echo "cannot destroy the previous demo pool $p" >&2; exit 1; }
done
rm -rf "$DIR"; mkdir -p "$DIR/state"
truncate -s 512M "$DIR/src.img" "$DIR/dst.img"
zpool create -m "$DIR/mnt/$SRC" "$SRC" "$DIR/src.img"
zpool create -m none "$DST" "$DIR/dst.img"
zfs create "$SRC/data"
zfs create "$SRC/data/db"
mnt=$(zfs get -H -o value mountpoint "$SRC/data")

write() { dd if=/dev/urandom of="$1" bs=1M count="$2" status=none; }
write "$mnt/file1.bin" 8
write "$mnt/db/table.bin" 4
echo "hello from the primary" > "$mnt/README.txt"

sync_once() {
  local out rc=0
  out=$("${ZFO[@]}" sync -r "$SRC/data" "$DST/data") || rc=$?
  echo "  exit $rc: $out"
  [ "$rc" = 0 ] || exit "$rc"
}

say "cycle 1: first (full) replication of $SRC/data -> $DST/data"
sync_once
say "cycle 2: nothing changed"
sync_once
say "cycle 3: new file and a zfs-auto-snapshot style snapshot in between"
write "$mnt/file2.bin" 16
zfs snapshot -r "$SRC/data@zfs-auto-snap_frequent-$(date -u +%Y-%m-%d-%H%M)"
write "$mnt/db/table.bin" 6
sync_once
say "cycle 4: a deletion"
rm "$mnt/file1.bin"
sync_once

say "verifying: checksums of the source against a clone of the replica's newest snapshot"
newest=$(zfs list -H -o name -t snapshot -d 1 "$DST/data" | tail -n 1)
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
for ds in data data/db; do
  snap=$(zfs list -H -o name -t snapshot -d 1 "$DST/$ds" | tail -n 1)
  zfs clone -o mountpoint="$DIR/verify/$ds" "$snap" "$DST/verify-${ds//\//-}"
  src_mnt=$(zfs get -H -o value mountpoint "$SRC/$ds")
  if diff <(sums "$src_mnt" | grep -v ' \./db/') <(sums "$DIR/verify/$ds" | grep -v ' \./db/') >/dev/null; then
    echo "  $SRC/$ds == $snap: $(sums "$src_mnt" | grep -vc ' \./db/') files, identical sha256"
  else
    echo "  MISMATCH between $SRC/$ds and $snap" >&2; exit 1
  fi
  # zfs-fuse reports a just-used dataset busy for a moment: retry the destroy of the verification clone.
  for i in $(seq 20); do zfs destroy "$DST/verify-${ds//\//-}" 2>/dev/null && break; [ "$i" = 20 ] && zfs destroy "$DST/verify-${ds//\//-}"; sleep 0.5; done
done

say "verifying: snapshot GUIDs on both sides"
guids() { zfs get -H -p -r -o name,value guid "$1" | awk -F'\t' -v root="$1" '$1 ~ /@/ {print substr($1, length(root) + 1), $2}' | sort; }
if diff <(guids "$SRC/data") <(guids "$DST/data") >/dev/null; then
  echo "  $(guids "$SRC/data" | wc -l) snapshots, same names and GUIDs on source and replica:"
  guids "$DST/data" | sed 's/^/    /'
else
  echo "  GUID lists differ:"; diff <(guids "$SRC/data") <(guids "$DST/data") || true; exit 1
fi
say "done: the replica $DST/data equals $SRC/data (newest: $newest)"
echo "state file: $DIR/state/jobs/*.json; remove the demo with: zpool destroy $SRC; zpool destroy $DST; rm -rf $DIR"
