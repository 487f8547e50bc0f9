#!/usr/bin/env bash
# openzfs-vm.sh - run REAL OpenZFS (kernel modules) in a qemu guest, for the
# zfailover OpenZFS test suite (test/openzfs) on hosts whose kernel cannot
# load zfs.ko.  Project copy of the lab recipe (../shared/lab/openzfs-vm.sh);
# what changed is listed in test/openzfs/README.md ("Changes vs the lab script").
#
# Everything comes from Debian packages (debootstrap / apt); artifacts are
# cached under $ZFSLAB_CACHE (default /var/cache/zfslab).  Idempotent: every
# stage leaves a stamp and is skipped when the stamp exists.
#
#   openzfs-vm.sh build            builder chroot + zfs.ko + guest image
#   openzfs-vm.sh start            boot the guest (background), wait for ssh
#   openzfs-vm.sh ensure-pools     create the test pools ONLY where missing (safe)
#   openzfs-vm.sh acquire LEASE    test harness: build, reuse or boot, ensure-pools,
#                                  register LEASE (holder pid); prints started=0|1
#   openzfs-vm.sh release LEASE    drop LEASE; stop the guest if `acquire` booted
#                                  it and no live lease is left
#   openzfs-vm.sh push DIR         copy DIR's tree into the guest root (lost at reboot)
#   openzfs-vm.sh alive            exit 0 when the guest answers `ssh true`
#   openzfs-vm.sh exec CMD...      run CMD in the guest (guest shell parses it)
#   openzfs-vm.sh ssh [ARGS]       interactive ssh / raw ssh args
#   openzfs-vm.sh ssh-config       print an ssh_config block (Host zfslab)
#   openzfs-vm.sh mkpools          DESTRUCTIVE: (re)create the test pools
#   openzfs-vm.sh selftest         mkpools + send/recv/resume/bookmark/hold test
#   openzfs-vm.sh bench            latency of `zfs list` + 200 MB send|recv
#   openzfs-vm.sh status|console|stop|kill|clean [all]
#
# Environment (defaults):
#   ZFSLAB_KVER=<auto>  Debian kernel ABI for the guest, e.g. 6.1.0-56-amd64;
#                       auto = what linux-headers-amd64 points to at first build
#   ZFSLAB_ZFS_SUITE=bookworm-backports (OpenZFS 2.3.x; "bookworm" = 2.1.11)
#   ZFSLAB_CACHE=/var/cache/zfslab (/var/cache/zfslab-$SUITE for other suites)
#   ZFSLAB_MIRROR=http://deb.debian.org/debian
#   ZFSLAB_SEC_MIRROR=http://deb.debian.org/debian-security
#   ZFSLAB_SSH_PORT=2222  ZFSLAB_MEM=2048  ZFSLAB_SMP=2
#   ZFSLAB_ACCEL=auto   (kvm | tcg | auto: kvm when /dev/kvm boots a guest here,
#                        else TCG; the verdict is cached in $ZFSLAB_CACHE/accel)
#   ZFSLAB_KVM_PROBE_TIMEOUT=30 (auto: seconds a KVM boot gets before TCG is used)
#   ZFSLAB_DISKS=2  ZFSLAB_DISK_SIZE=4G  ZFSLAB_POOLS="src dst"
#   ZFSLAB_PERSIST_ROOT=0  (1 = keep changes to the guest root fs across boots)
#   ZFSLAB_PUSH_DIR=""     (a directory tree copied into the guest root at start)
#   ZFSLAB_EXTRA_PKGS=""   (extra Debian packages for the guest image)
#   ZFSLAB_BOOT_TIMEOUT=300
#   ZFSLAB_LOCK_TIMEOUT=3600 (seconds to wait for another build/boot to finish)
#   ZFSLAB_RUN=$ZFSLAB_CACHE/run for port 2222, else $ZFSLAB_CACHE/run-$PORT
#                          (pid, console, data disks, leases; one per running VM)
#   ZFSLAB_AUTHORIZED_KEYS="~/.ssh/id_*.pub" (extra keys for root@guest; the
#                          lab key $ZFSLAB_CACHE/ssh/id_ed25519 always works)
set -euo pipefail

SUITE=bookworm
ZFS_SUITE=${ZFSLAB_ZFS_SUITE:-bookworm-backports}
if [ "$ZFS_SUITE" = bookworm-backports ]; then CACHE=${ZFSLAB_CACHE:-/var/cache/zfslab}
else CACHE=${ZFSLAB_CACHE:-/var/cache/zfslab-$ZFS_SUITE}; fi
MIRROR=${ZFSLAB_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${ZFSLAB_SEC_MIRROR:-http://deb.debian.org/debian-security}
SSH_PORT=${ZFSLAB_SSH_PORT:-2222}
MEM=${ZFSLAB_MEM:-2048}
SMP=${ZFSLAB_SMP:-2}
NDISKS=${ZFSLAB_DISKS:-2}
DISK_SIZE=${ZFSLAB_DISK_SIZE:-4G}
POOLS=${ZFSLAB_POOLS:-src dst}
PERSIST_ROOT=${ZFSLAB_PERSIST_ROOT:-0}
EXTRA_PKGS=${ZFSLAB_EXTRA_PKGS:-}
BOOT_TIMEOUT=${ZFSLAB_BOOT_TIMEOUT:-300}
ACCEL=${ZFSLAB_ACCEL:-auto}
KVM_PROBE_TIMEOUT=${ZFSLAB_KVM_PROBE_TIMEOUT:-30}
PUSH_DIR=${ZFSLAB_PUSH_DIR:-}
LOCK_TIMEOUT=${ZFSLAB_LOCK_TIMEOUT:-3600}
case $ACCEL in auto|kvm|tcg) ;; *) echo "ZFSLAB_ACCEL must be auto, kvm or tcg, got '$ACCEL'" >&2; exit 1 ;; esac
case $SSH_PORT in [1-9]*[0-9]|[1-9]) ;; *) echo "ZFSLAB_SSH_PORT must be a port number, got '$SSH_PORT'" >&2; exit 1 ;; esac
# -t only for a non-default suite: "-t bookworm" would pin everything to the
# point release and conflict with newer security/updates versions.
TARGET=(); [ "$ZFS_SUITE" = "$SUITE" ] || TARGET=(-t "$ZFS_SUITE")
# extra public keys allowed to log in as root (default: the invoking user's own keys)
if [ -n "${ZFSLAB_AUTHORIZED_KEYS+set}" ]; then EXTRA_KEYS=$ZFSLAB_AUTHORIZED_KEYS
else EXTRA_KEYS=$(shopt -s nullglob; echo "$HOME"/.ssh/id_*.pub); fi

case $CACHE in /?*/?*) ;; *) echo "ZFSLAB_CACHE must be an absolute path below a directory, got '$CACHE'" >&2; exit 1 ;; esac
KVER=${ZFSLAB_KVER:-}
[ -n "$KVER" ] || [ ! -f "$CACHE/KVER" ] || KVER=$(cat "$CACHE/KVER")
BUILDER=$CACHE/builder            # chroot used only to compile the modules
ROOTFS=$CACHE/rootfs              # guest root file system (directory)
IMG=$CACHE/image                  # vmlinuz, initrd.img, root.img
MODDIR=$CACHE/modules/$KVER       # built *.ko + VERSION (re-set once KVER is known)
KEYDIR=$CACHE/ssh
# pid, console log, data disks, ssh socket, leases.  The lab's instance on 2222 keeps its
# historical directory; any other port gets its own, so instances never share disks.
if [ "$SSH_PORT" = 2222 ]; then RUN=${ZFSLAB_RUN:-$CACHE/run}; else RUN=${ZFSLAB_RUN:-$CACHE/run-$SSH_PORT}; fi
TIMINGS=$CACHE/timings.log
KEY=$KEYDIR/id_ed25519

GUEST_PKGS="initramfs-tools openssh-server iproute2 kmod udev
 procps psmisc less util-linux login pv mbuffer zstd lz4 lzop xz-utils"

log()  { printf '[zfslab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }
now()  { date +%s.%N; }
record_val() { # record_val NAME SECONDS
  mkdir -p "$CACHE"; printf '%s\t%s\t%ss\n' "$(date -Is)" "$1" "$2" >>"$TIMINGS"
  log "timing: $1 = ${2}s"
}
record() { # record NAME START_TIMESTAMP
  record_val "$1" "$(awk -v a="$2" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')"
}
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

host_deps() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
  command -v ssh >/dev/null || missing+=(openssh-client)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing host packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }
  fi
}

# ---------------------------------------------------------------- chroot utils
mounts_under() { awk -v p="$1" '$2==p || index($2, p"/")==1 {print $2}' /proc/self/mounts | sort -r; }
chroot_umount() {
  local m
  for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m"; done
}
chroot_mount() {
  local d=$1
  mountpoint -q "$d/proc" || mount -t proc proc "$d/proc"
  mountpoint -q "$d/sys"  || mount -t sysfs sysfs "$d/sys"
  mountpoint -q "$d/dev"  || { mount --rbind /dev "$d/dev"; mount --make-rslave "$d/dev"; }
}
in_chroot() { # in_chroot DIR CMD...  (mounts, runs, unmounts)
  local d=$1; shift
  chroot_mount "$d"
  local rc=0
  LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$d" /usr/bin/env \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" || rc=$?
  chroot_umount "$d"
  return $rc
}
safe_rm() { # remove a (possibly half-built) chroot dir, never across mounts
  local d=$1
  [ -e "$d" ] || return 0
  chroot_umount "$d"
  [ -z "$(mounts_under "$d")" ] || die "refusing to remove $d: still has mounts"
  rm -rf --one-file-system "$d"
}
debootstrap_dir() { # debootstrap_dir DIR EXTRA_INCLUDES
  local d=$1 inc=$2
  safe_rm "$d"; mkdir -p "$d"
  debootstrap --variant=minbase --components=main,contrib --include="$inc" \
    "$SUITE" "$d" "$MIRROR" >"$d.debootstrap.log" 2>&1 \
    || { tail -20 "$d.debootstrap.log"; chroot_umount "$d"; die "debootstrap $d failed"; }
  cat >"$d/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main contrib
deb $MIRROR $SUITE-updates main contrib
deb $SEC_MIRROR $SUITE-security main contrib
deb $MIRROR $SUITE-backports main contrib
EOF
  printf '#!/bin/sh\nexit 101\n' >"$d/usr/sbin/policy-rc.d"; chmod 755 "$d/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nDpkg::Options { "--force-confdef"; "--force-confold"; };\n' \
    >"$d/etc/apt/apt.conf.d/90zfslab"
  cp /etc/resolv.conf "$d/etc/resolv.conf" 2>/dev/null || true
  in_chroot "$d" apt-get update -q >/dev/null
}

# ------------------------------------------------------------- stage: modules
build_modules() {
  if [ -n "$KVER" ] && [ -f "$CACHE/modules/$KVER/.ok" ]; then
    MODDIR=$CACHE/modules/$KVER; log "modules cached: $(cat "$MODDIR/VERSION") for $KVER"; return
  fi
  local t0
  if [ ! -f "$BUILDER/.zfslab-ok" ]; then
    t0=$(now); log "debootstrap builder chroot -> $BUILDER"
    debootstrap_dir "$BUILDER" ca-certificates
    touch "$BUILDER/.zfslab-ok"
    record builder-debootstrap "$t0"
  else
    in_chroot "$BUILDER" apt-get update -q >/dev/null
  fi
  if [ -z "$KVER" ]; then
    KVER=$(chroot "$BUILDER" apt-cache depends linux-headers-amd64 \
      | sed -n 's/^ *Depends: linux-headers-\([0-9].*-amd64\)$/\1/p' | head -1)
    [ -n "$KVER" ] || die "cannot resolve the current Debian kernel ABI; set ZFSLAB_KVER"
    log "kernel ABI resolved: $KVER"
  fi
  echo "$KVER" >"$CACHE/KVER"; MODDIR=$CACHE/modules/$KVER
  t0=$(now); log "installing kernel headers $KVER + toolchain in builder"
  in_chroot "$BUILDER" apt-get install -y -q "linux-headers-$KVER" build-essential dkms \
    file lsb-release libpython3-stdlib >"$CACHE/builder-deps.log" 2>&1 \
    || { tail -30 "$CACHE/builder-deps.log"; die "builder deps failed"; }
  record builder-headers-toolchain "$t0"
  t0=$(now); log "installing zfs-dkms from $ZFS_SUITE and building for $KVER (takes a while)"
  in_chroot "$BUILDER" apt-get install -y -q "${TARGET[@]}" zfs-dkms >"$CACHE/zfs-dkms.log" 2>&1 \
    || { tail -40 "$CACHE/zfs-dkms.log"; die "zfs-dkms install failed"; }
  local debver modver
  debver=$(chroot "$BUILDER" dpkg-query -W -f '${Version}' zfs-dkms)
  modver=$(ls "$BUILDER/var/lib/dkms/zfs" | grep -v '^kernel' | sort -V | tail -1)
  # the postinst normally builds for every kernel with headers; make sure.
  if ! in_chroot "$BUILDER" dkms status -m zfs -v "$modver" -k "$KVER" 2>/dev/null | grep -q installed; then
    in_chroot "$BUILDER" dkms install -m zfs -v "$modver" -k "$KVER" >>"$CACHE/zfs-dkms.log" 2>&1 \
      || { tail -40 "$CACHE/zfs-dkms.log"; cat "$BUILDER/var/lib/dkms/zfs/$modver/build/make.log" 2>/dev/null | tail -40; die "dkms build failed"; }
  fi
  record "zfs-dkms-install+build($debver)" "$t0"
  rm -rf "$MODDIR"; mkdir -p "$MODDIR"
  find "$BUILDER/lib/modules/$KVER/updates" -name '*.ko*' -exec cp -v {} "$MODDIR/" \; >&2
  ls "$MODDIR"/zfs.ko* >/dev/null 2>&1 || die "no zfs.ko produced"
  printf '%s\n' "$debver" >"$MODDIR/VERSION"
  touch "$MODDIR/.ok"
}

# -------------------------------------------------------------- stage: rootfs
write_guest_files() {
  local r=$1
  echo zfslab >"$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 zfslab\n' >"$r/etc/hosts"
  echo 'nameserver 10.0.2.3' >"$r/etc/resolv.conf"
  : >"$r/etc/fstab"
  cat >"$r/sbin/zfslab-init" <<'EOF'
#!/bin/bash
# PID 1 of the zfslab guest: minimal init, no systemd.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "zfslab-init[$(cut -d' ' -f1 /proc/uptime)]: $*" >/dev/console; }
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys  || mount -t sysfs sysfs /sys
mountpoint -q /dev  || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mountpoint -q /run || mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,rw /
hostname zfslab
echo 1 >/proc/sys/kernel/sysrq
ln -sf /proc/self/fd /dev/fd 2>/dev/null
rm -f /run/zfslab-ready
# zfs.ko init (checksum/raidz benchmarks) is slow under TCG: overlap it with udev
modprobe zfs & modpid=$!
# udev: /dev/disk/by-id, /dev/zvol links (zfs udev rules)
/lib/systemd/systemd-udevd --daemon
# only block devices (+misc: /dev/zfs): coldplugging everything costs seconds under TCG
udevadm trigger --action=add --subsystem-match=block --subsystem-match=misc
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
mkdir -p /run/sshd
/usr/sbin/sshd -E /var/log/sshd.log
udevadm settle --timeout=60
say "udev settled"
wait $modpid && say "zfs $(cat /sys/module/zfs/version) loaded" || say "modprobe zfs FAILED"
zpool import -a -N -f 2>/dev/null; zfs mount -a 2>/dev/null
say "pools: $(zpool list -H -o name | tr '\n' ' ')"
[ -e /dev/zfs ] && touch /run/zfslab-ready
say "ZFSLAB-READY"
# fallback command channel: root shell on the serial console
( while :; do setsid -w /sbin/agetty --autologin root --noclear -L ttyS0 115200 vt100; sleep 1; done ) &
# reap orphans forever
while :; do sleep 3600 & wait; done
EOF
  chmod 755 "$r/sbin/zfslab-init"
  cat >"$r/usr/local/sbin/zfslab-poweroff" <<'EOF'
#!/bin/sh
# clean shutdown: export pools, flush, power off (qemu then exits)
zfs unmount -a 2>/dev/null
zpool export -a 2>/dev/null
sync
mount -o remount,ro / 2>/dev/null
echo o >/proc/sysrq-trigger
EOF
  chmod 755 "$r/usr/local/sbin/zfslab-poweroff"
  ln -sf /usr/local/sbin/zfslab-poweroff "$r/usr/local/sbin/poweroff"
  mkdir -p "$r/etc/initramfs-tools/conf.d"
  echo 'MODULES=list' >"$r/etc/initramfs-tools/conf.d/zfslab.conf"
  echo 'COMPRESS=gzip' >>"$r/etc/initramfs-tools/conf.d/zfslab.conf"
  printf '%s\n' virtio_pci virtio_blk virtio_net virtio_rng ext4 crc32c_generic crc32c_intel \
    >"$r/etc/initramfs-tools/modules"
  mkdir -p "$r/etc/ssh/sshd_config.d"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\nMaxStartups 100:30:200\nMaxSessions 100\n' \
    >"$r/etc/ssh/sshd_config.d/zfslab.conf"
}

build_rootfs() {
  if [ -f "$ROOTFS/.zfslab-ok" ] && [ "$(cat "$ROOTFS/.zfslab-ok")" = "$KVER $(cat "$MODDIR/VERSION") $EXTRA_PKGS" ]; then
    log "guest rootfs cached"; return
  fi
  local t0 debver; debver=$(cat "$MODDIR/VERSION")
  t0=$(now); log "debootstrap guest rootfs -> $ROOTFS"
  debootstrap_dir "$ROOTFS" ca-certificates
  write_guest_files "$ROOTFS"
  # shellcheck disable=SC2086
  in_chroot "$ROOTFS" apt-get install -y -q "linux-image-$KVER" $GUEST_PKGS $EXTRA_PKGS >"$CACHE/guest-pkgs.log" 2>&1 \
    || { tail -30 "$CACHE/guest-pkgs.log"; die "guest packages failed"; }
  in_chroot "$ROOTFS" apt-get install -y -q "${TARGET[@]}" "zfsutils-linux=$debver" >>"$CACHE/guest-pkgs.log" 2>&1 \
    || { tail -30 "$CACHE/guest-pkgs.log"; die "zfsutils-linux failed"; }
  # drop big driver trees a VM never needs, add the zfs modules
  local m=$ROOTFS/lib/modules/$KVER
  rm -rf "$m"/kernel/{sound,drivers/gpu,drivers/media,drivers/net/wireless,drivers/infiniband,drivers/staging,drivers/bluetooth,net/bluetooth,net/mac80211,net/wireless,drivers/iio,drivers/isdn,drivers/net/ethernet/mellanox}
  mkdir -p "$m/updates/dkms"; cp "$MODDIR"/*.ko* "$m/updates/dkms/"
  rm -rf "$ROOTFS"/usr/share/{doc,man,info,locale}/* "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*_Packages
  in_chroot "$ROOTFS" sh -c "depmod -a $KVER && update-initramfs -u -k $KVER && zgenhostid -f 0x2f5a4c42 && ssh-keygen -A && passwd -d root" \
    >>"$CACHE/guest-pkgs.log" 2>&1 || { tail -30 "$CACHE/guest-pkgs.log"; die "guest finalize failed"; }
  ls "$m/updates/dkms/" >&2
  ensure_key
  install -d -m 700 "$ROOTFS/root/.ssh"
  install -m 600 "$KEY.pub" "$ROOTFS/root/.ssh/authorized_keys"
  rm -f "$ROOTFS/usr/sbin/policy-rc.d"
  echo "$KVER $debver $EXTRA_PKGS" >"$ROOTFS/.zfslab-ok"
  rm -f "$IMG/.ok"
  record guest-rootfs "$t0"
}

ensure_key() {
  [ -f "$KEY" ] && return
  mkdir -p "$KEYDIR"; chmod 700 "$KEYDIR"
  ssh-keygen -q -t ed25519 -N '' -C zfslab -f "$KEY"
}

build_image() {
  # (re)apply the small guest files so script changes reach the image
  ensure_key
  write_guest_files "$ROOTFS"
  install -d -m 700 "$ROOTFS/root/.ssh"
  # shellcheck disable=SC2086
  { cat "$KEY.pub"; [ -z "$EXTRA_KEYS" ] || cat $EXTRA_KEYS 2>/dev/null || true; } </dev/null >"$ROOTFS/root/.ssh/authorized_keys"
  chmod 600 "$ROOTFS/root/.ssh/authorized_keys"
  local sig
  sig="$(cat "$MODDIR/VERSION") $(cat "$ROOTFS"/sbin/zfslab-init "$ROOTFS"/usr/local/sbin/zfslab-poweroff \
    "$ROOTFS"/etc/ssh/sshd_config.d/zfslab.conf "$ROOTFS"/root/.ssh/authorized_keys "$ROOTFS/.zfslab-ok" | md5sum | cut -c1-12)"
  if [ -f "$IMG/.ok" ] && [ "$(cat "$IMG/.ok")" = "$sig" ]; then log "image cached"; return; fi
  local t0 mb; t0=$(now)
  mkdir -p "$IMG"
  cp "$ROOTFS/boot/vmlinuz-$KVER" "$IMG/vmlinuz"
  cp "$ROOTFS/boot/initrd.img-$KVER" "$IMG/initrd.img"
  mb=$(du -sm "$ROOTFS" | cut -f1); mb=$((mb + 768))
  rm -f "$IMG/root.img"
  mkfs.ext4 -q -F -L zfslabroot -E root_owner=0:0 -d "$ROOTFS" "$IMG/root.img" "${mb}M" >/dev/null
  echo "$sig" >"$IMG/.ok"
  record "image(root.img ${mb}M)" "$t0"
}

cmd_build() {
  need_root; host_deps; mkdir -p "$CACHE"; lock_build
  local t0; t0=$(now)
  build_modules; build_rootfs; build_image
  record build-total "$t0"
  log "OpenZFS $(cat "$MODDIR/VERSION") for $KVER ready in $IMG"
}

# ------------------------------------------------------------------ runtime
# ssh options: NB for ssh the FIRST value given for an option wins.
SSH_BASE=()
ssh_opts() {
  SSH_BASE=(-i "$KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o LogLevel=ERROR -o BatchMode=yes -o ServerAliveInterval=15)
}
# gssh: multiplexed (ControlMaster) connection: ~0.1 s per command after the first
gssh() { ssh_opts; ssh "${SSH_BASE[@]}" -o ConnectTimeout=10 -o ControlMaster=auto \
  -o "ControlPath=$RUN/ssh-%C" -o ControlPersist=300 root@127.0.0.1 "$@" 8>&- 9>&-; }
# fssh: one fresh ssh connection per call (no multiplexing)
fssh() { ssh_opts; ssh "${SSH_BASE[@]}" -o ConnectTimeout=5 -o ControlMaster=no -o ControlPath=none root@127.0.0.1 "$@" 8>&- 9>&-; }
# alive PID: running (not a zombie) qemu process
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case $st in Z*|X*) return 1 ;; esac
  case $(cat "/proc/$1/comm" 2>/dev/null) in qemu-system*) return 0 ;; *) return 1 ;; esac
}
qemu_pid() { [ -f "$RUN/qemu.pid" ] && alive "$(cat "$RUN/qemu.pid")" && cat "$RUN/qemu.pid"; }

# Lock files (flock): fd 8 = this instance ($RUN), fd 9 = the shared build cache.  Long-lived
# children (qemu, the ssh ControlMaster) are started with both closed, or they would hold the locks.
lock_run() { mkdir -p "$RUN"; exec 8>>"$RUN/.lock"
  flock -w "$LOCK_TIMEOUT" 8 || die "timed out after ${LOCK_TIMEOUT}s waiting for $RUN/.lock"; }
lock_build() { mkdir -p "$CACHE"; exec 9>>"$CACHE/.build.lock"
  flock -w "$LOCK_TIMEOUT" 9 || die "timed out after ${LOCK_TIMEOUT}s waiting for $CACHE/.build.lock (another build?)"; }

# The KVM verdict is cached per host kernel and qemu build: probing costs up to KVM_PROBE_TIMEOUT.
accel_key() { echo "$(uname -r) $(qemu-system-x86_64 --version | head -1)"; }
kvm_device_ok() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
cached_accel() { # prints kvm/tcg when a verdict for this host is cached
  [ -f "$CACHE/accel" ] || return 1
  local v k; read -r v k <"$CACHE/accel" || return 1
  [ "$k" = "$(accel_key)" ] && echo "$v"
}
record_accel() { printf '%s %s\n' "$1" "$(accel_key)" >"$CACHE/accel"; }

launch_qemu() { # launch_qemu kvm|tcg: start the daemonized guest, returns at once
  local accel=$1 i drives=() snap=on acc
  [ "$PERSIST_ROOT" = 1 ] && snap=off
  drives+=(-drive "file=$IMG/root.img,if=none,id=root,format=raw,snapshot=$snap,cache=unsafe"
           -device virtio-blk-pci,drive=root,serial=zfslabroot)
  for i in $(seq 1 "$NDISKS"); do
    [ -f "$RUN/disk$i.img" ] || truncate -s "$DISK_SIZE" "$RUN/disk$i.img"
    drives+=(-drive "file=$RUN/disk$i.img,if=none,id=d$i,format=raw,cache=unsafe,aio=threads"
             -device "virtio-blk-pci,drive=d$i,serial=zfslab$i")
  done
  if [ "$accel" = kvm ]; then acc=(-accel kvm -cpu host); else acc=(-accel tcg,thread=multi -cpu max); fi
  rm -f "$RUN"/ssh-* "$RUN/console.log" "$RUN/qemu.pid"
  log "booting guest (${accel^^}, ${SMP} vCPU, ${MEM} MiB), ssh on 127.0.0.1:$SSH_PORT"
  qemu-system-x86_64 -name "zfslab-$SSH_PORT" -machine pc "${acc[@]}" \
    -smp "$SMP" -m "$MEM" -nodefaults -vga none -display none -no-reboot \
    -daemonize -pidfile "$RUN/qemu.pid" \
    -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw init=/sbin/zfslab-init net.ifnames=0 quiet panic=-1 mitigations=off modprobe.blacklist=floppy" \
    "${drives[@]}" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" -device virtio-net-pci,netdev=n0 \
    -device virtio-rng-pci \
    -chardev "socket,id=ser0,path=$RUN/console.sock,server=on,wait=off,logfile=$RUN/console.log" \
    -serial chardev:ser0 \
    -monitor "unix:$RUN/monitor.sock,server=on,wait=off" 8>&- 9>&-
}

wait_ready() { # wait_ready SECONDS: 0 once ssh works and the guest says ready, 1 on timeout, dies if qemu exits
  local deadline=$((SECONDS + $1))
  until fssh test -e /run/zfslab-ready 2>/dev/null; do
    qemu_pid >/dev/null || { tail -30 "$RUN/console.log" 2>/dev/null >&2; die "qemu exited during boot"; }
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 1
  done
}

cmd_start() {
  need_root
  [ -f "$IMG/.ok" ] || die "no image; run: $0 build"
  if qemu_pid >/dev/null; then log "already running (pid $(qemu_pid))"; return; fi
  build_image   # cheap no-op unless guest files / authorized keys changed
  if command -v ss >/dev/null && ss -Hltn "sport = :$SSH_PORT" | grep -q .; then
    die "127.0.0.1:$SSH_PORT already in use (set ZFSLAB_SSH_PORT)"
  fi
  mkdir -p "$RUN"; ensure_key
  local t0 accel=$ACCEL; t0=$(now)
  if [ "$accel" = auto ]; then
    if ! kvm_device_ok; then accel=tcg
    elif ! accel=$(cached_accel); then
      # /dev/kvm can exist and still not run a stock kernel (nested or paravirtual KVM): try it briefly.
      launch_qemu kvm
      if wait_ready "$KVM_PROBE_TIMEOUT"; then record_accel kvm; accel=kvm
      else
        log "KVM did not boot the guest within ${KVM_PROBE_TIMEOUT}s; using TCG from now on (cached in $CACHE/accel)"
        cmd_kill; record_accel tcg; accel=tcg; t0=$(now)
      fi
    fi
  fi
  if ! qemu_pid >/dev/null; then
    launch_qemu "$accel"
    if ! wait_ready "$BOOT_TIMEOUT"; then
      tail -30 "$RUN/console.log" >&2; cmd_kill; die "guest not reachable after ${BOOT_TIMEOUT}s"
    fi
  fi
  echo "$accel" >"$RUN/accel"
  record "boot-to-ssh-ready(${accel})" "$t0"
  [ -z "$PUSH_DIR" ] || cmd_push "$PUSH_DIR"
  log "guest up: pid $(qemu_pid); $(gssh 'echo zfs $(cat /sys/module/zfs/version), kernel $(uname -r)')"
}

cmd_stop() {
  local pid; pid=$(qemu_pid) || { log "not running"; return 0; }
  fssh 'setsid -f /usr/local/sbin/zfslab-poweroff </dev/null >/dev/null 2>&1' || true
  local i; for i in $(seq 1 60); do alive "$pid" || break; sleep 0.5; done
  if alive "$pid"; then log "guest did not power off; killing qemu $pid"; kill "$pid"; fi
  ssh -O exit -o "ControlPath=$RUN/ssh-%C" -p "$SSH_PORT" root@127.0.0.1 2>/dev/null || true
  rm -f "$RUN/qemu.pid" "$RUN"/ssh-*
  log "stopped"
}

cmd_kill() {
  local pid i; pid=$(qemu_pid) || return 0
  kill "$pid"
  # wait, so that a new guest can bind the same port right after
  for i in $(seq 1 20); do alive "$pid" || break; sleep 0.25; done
  alive "$pid" && kill -9 "$pid"
  rm -f "$RUN/qemu.pid"; log "killed qemu $pid"
  ssh -O exit -o "ControlPath=$RUN/ssh-%C" -p "$SSH_PORT" root@127.0.0.1 2>/dev/null || true
}

cmd_ssh_config() {
  cat <<EOF
Host zfslab
  HostName 127.0.0.1
  Port $SSH_PORT
  User root
  IdentityFile $KEY
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ControlMaster auto
  ControlPath $RUN/ssh-%C
  ControlPersist 300
EOF
}

cmd_mkpools() {
  local i=1 p script=""
  for p in $POOLS; do
    script+="zpool destroy -f $p 2>/dev/null; wipefs -qa /dev/disk/by-id/virtio-zfslab$i;"
    script+="zpool create -f -o ashift=12 -O atime=off -O mountpoint=/$p $p /dev/disk/by-id/virtio-zfslab$i || exit 1;"
    i=$((i + 1))
  done
  gssh "$script zpool list -H -o name,size,health"
}

GUEST_SELFTEST=$(cat <<'EOF'
set -u
step() { echo; echo "### $*"; }
run()  { echo "+ $*"; eval "$@"; }
step "versions"; run zfs version; run uname -r; run 'modinfo -F version zfs'
step "pools";    run zpool list; run zpool get -H -o name,property,value feature@bookmark_v2,feature@extensible_dataset $S
step "zfs create + data"
run zfs create -o compression=lz4 $S/data
run 'dd if=/dev/urandom of=/$S/data/f1 bs=1M count=8 status=none'
run zfs snapshot $S/data@s1
step "full send | recv"
run 'zfs send $S/data@s1 | zfs recv -u $D/data'
step "incremental -i"
run 'echo two >/$S/data/f2'; run zfs snapshot $S/data@s2
run 'zfs send -i @s1 $S/data@s2 | zfs recv -u $D/data'
step "incremental -I (with intermediates s3, s4)"
run 'echo three >/$S/data/f3'; run zfs snapshot $S/data@s3
run 'echo four >/$S/data/f4';  run zfs snapshot $S/data@s4
run 'zfs send -I @s2 $S/data@s4 | zfs recv -u $D/data'
step "resumable recv: interrupt with head -c, then zfs send -t"
run 'dd if=/dev/urandom of=/$S/data/f5 bs=1M count=32 status=none'; run zfs snapshot $S/data@s5
run 'zfs send -i @s4 $S/data@s5 | head -c 5000000 | zfs recv -s -u $D/data; echo "recv exit=$? (failure expected)"'
run 'tok=$(zfs get -H -o value receive_resume_token $D/data); echo "token: ${tok:0:60}... (${#tok} chars)"'
run 'zfs send -nv -t "$tok"'
run 'zfs send -t "$tok" | zfs recv -s -u $D/data; echo "resume exit=$?"'
run 'zfs get -H -o value receive_resume_token $D/data'
step "bookmark, then incremental from the bookmark after deleting the snapshot"
run 'zfs bookmark $S/data@s5 $S/data#b5'
run 'zfs destroy $S/data@s5'
run 'echo six >/$S/data/f6'; run zfs snapshot $S/data@s6
run 'zfs send -i $S/data#b5 $S/data@s6 | zfs recv -u $D/data'
run 'zfs list -H -p -o name,guid,createtxg,creation -t bookmark'
step "hold / release"
run 'zfs hold keepme $S/data@s6'; run 'zfs holds -H $S/data@s6'
run 'zfs destroy $S/data@s6; echo "destroy exit=$? (failure expected: held)"'
run 'zfs release keepme $S/data@s6'; run 'zfs holds -H $S/data@s6'
step "recursive replication stream -R + -F"
run 'zfs create $S/data/child; echo c >/$S/data/child/c'; run 'zfs snapshot -r $S/data@r1'
run 'zfs send -R $S/data@r1 | zfs recv -F -u $D/rcopy'
step "snapshot list (guid/createtxg/creation) on both pools"
run 'zfs list -H -p -o name,guid,createtxg,creation -t snapshot'
step "guid match src vs dst"
run 'for s in s1 s2 s3 s4 s5 s6; do printf "%s $S=%s $D=%s\n" $s "$(zfs get -H -p -o value guid $S/data@$s 2>/dev/null || echo -)" "$(zfs get -H -p -o value guid $D/data@$s)"; done'
step "content check"; run 'zfs mount $D/data; cmp /$S/data/f1 /$D/data/f1 && cmp /$S/data/f5 /$D/data/f5 && echo CONTENT-OK'
step "verdict"
ok=1; fail() { echo "FAILED: $*"; ok=0; }
for s in s1 s2 s3 s4 s6; do
  [ "$(zfs get -H -p -o value guid $S/data@$s)" = "$(zfs get -H -p -o value guid $D/data@$s 2>/dev/null)" ] || fail "guid $s"
done
zfs list $D/data@s5 >/dev/null 2>&1 || fail "resumed snapshot s5 missing"
[ "$(zfs get -H -o value receive_resume_token $D/data)" = "-" ] || fail "resume token left"
zfs list -t bookmark $S/data#b5 >/dev/null 2>&1 || fail "bookmark"
[ -z "$(zfs holds -H $S/data@s6)" ] || fail "hold not released"
zfs list $D/rcopy/child@r1 >/dev/null 2>&1 || fail "send -R child"
cmp -s /$S/data/f5 /$D/data/f5 || fail "content"
[ $ok = 1 ] && echo "SELFTEST PASS" || { echo "SELFTEST FAIL"; exit 1; }
EOF
)

cmd_selftest() {
  local p; read -ra p <<<"$POOLS"; [ ${#p[@]} -ge 2 ] || die "selftest needs two pools in ZFSLAB_POOLS"
  cmd_mkpools; gssh "S=${p[0]} D=${p[1]} bash -s" <<<"$GUEST_SELFTEST"
}

cmd_bench() {
  local i t0 n=20
  log "latency: $n x 'zfs list -H -o name' over ssh (ControlMaster multiplexed)"
  gssh true
  t0=$(now); for i in $(seq $n); do gssh zfs list -H -o name >/dev/null; done
  record_val "zfs-list-latency-ssh-mux(avg of $n)" "$(awk -v a="$t0" -v b="$(now)" -v n=$n 'BEGIN{printf "%.3f", (b-a)/n}')"
  log "latency: $n x 'zfs list' with a fresh ssh connection each"
  t0=$(now); for i in $(seq $n); do fssh zfs list -H -o name >/dev/null; done
  record_val "zfs-list-latency-ssh-fresh(avg of $n)" "$(awk -v a="$t0" -v b="$(now)" -v n=$n 'BEGIN{printf "%.3f", (b-a)/n}')"
  log "throughput: 200 MB send|recv inside the guest"
  local p; read -ra p <<<"$POOLS"
  gssh "p1=${p[0]} p2=${p[1]} bash -s" <<'EOF'
set -e
zfs destroy -r $p1/bench 2>/dev/null || true; zfs destroy -r $p2/bench 2>/dev/null || true
zfs create -o compression=off $p1/bench
t=$(date +%s.%N); head -c 200000000 /dev/urandom >/$p1/bench/blob; sync
awk -v a=$t -v b=$(date +%s.%N) 'BEGIN{printf "write 200MB urandom + sync: %.2f s\n", b-a}'
zfs snapshot $p1/bench@t
zpool export $p1 && zpool import $p1   # drop ARC so the send reads from disk
t=$(date +%s.%N); zfs send $p1/bench@t | zfs recv -u $p2/bench; t2=$(date +%s.%N)
awk -v a=$t -v b=$t2 'BEGIN{printf "send|recv 200MB: %.2f s = %.1f MB/s\n", b-a, 200/(b-a)}'
t=$(date +%s.%N); zfs send $p1/bench@t >/dev/null; t2=$(date +%s.%N)
awk -v a=$t -v b=$t2 'BEGIN{printf "send >/dev/null 200MB (ARC warm): %.2f s = %.1f MB/s\n", b-a, 200/(b-a)}'
zfs destroy -r $p1/bench; zfs destroy -r $p2/bench
EOF
  log "throughput: 200 MB zfs send streamed guest -> host over ssh"
  gssh "zfs create -o compression=off ${p[0]}/bench2 && head -c 200000000 /dev/urandom >/${p[0]}/bench2/blob && zfs snapshot ${p[0]}/bench2@t"
  t0=$(now); gssh "zfs send ${p[0]}/bench2@t" | wc -c
  record "200MB-send-guest-to-host-over-ssh" "$t0"
  log "throughput: 200 MB via the host, like a remote replication tool: ssh zfs send | ssh zfs recv"
  t0=$(now); fssh "zfs send ${p[0]}/bench2@t" | fssh "zfs recv -u ${p[1]}/bench2"
  record "200MB-ssh-send|ssh-recv-via-host" "$t0"
  gssh "zfs destroy -r ${p[0]}/bench2; zfs destroy -r ${p[1]}/bench2"
}

cmd_alive() { fssh true 2>/dev/null; }

cmd_push() { # push DIR: copy DIR's tree (owners and modes kept) into the running guest's root
  local d=${1:-}
  [ -n "$d" ] && [ -d "$d" ] || die "push: '$d' is not a directory"
  tar -C "$d" --numeric-owner -cf - . | gssh 'tar -C / --no-overwrite-dir --numeric-owner -xpf -' \
    || die "push $d failed"
  log "pushed $d into the guest"
}

# Non-destructive counterpart of mkpools: import a pool that is on its disk, create it only when
# the pool is neither imported nor importable.  zpool create refuses a disk of an active pool.
cmd_ensure_pools() {
  local i=1 p script="set -u; "
  for p in $POOLS; do
    script+="if ! zpool list -H -o name $p >/dev/null 2>&1 && ! zpool import -f $p >/dev/null 2>&1; then"
    script+=" echo \"creating pool $p\" >&2;"
    script+=" zpool create -f -o ashift=12 -O atime=off -O mountpoint=/$p $p /dev/disk/by-id/virtio-zfslab$i || exit 1;"
    script+=" fi; "
    i=$((i + 1))
  done
  gssh "$script zpool list -H -o name,size,health $POOLS"
}

# ---------------------------------------------------------- test harness leases
# A lease is a file $RUN/leases/NAME holding "PID STARTTIME" of the process that uses the guest
# (the test runner).  A lease whose process is gone (or whose pid was reused) is dead.
# $RUN/harness-started marks a guest booted by `acquire`: only such a guest is ever stopped by
# `release`, and only when no live lease is left.  A guest started by hand is never stopped here.
# field 22 of /proc/PID/stat; cut after the ")" of comm, which may contain spaces
proc_start() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }; echo "$st" | cut -d' ' -f20; }
lease_live() { local pid st; read -r pid st <"$1" 2>/dev/null || return 1
  [ -n "$pid" ] && [ "$(proc_start "$pid")" = "$st" ]; }
prune_leases() { local f; for f in "$RUN"/leases/*; do [ -e "$f" ] || continue; lease_live "$f" || rm -f "$f"; done; }
live_leases() { local f n=0; for f in "$RUN"/leases/*; do [ -e "$f" ] && n=$((n + 1)); done; echo $n; }
check_lease_name() { case $1 in ''|*[!A-Za-z0-9._-]*) die "lease name must be [A-Za-z0-9._-]+, got '$1'" ;; esac; }

accel_of_running() { # for a guest started by another script version: read qemu's command line
  local pid; pid=$(qemu_pid) || { echo unknown; return; }
  case $(tr '\0' ' ' <"/proc/$pid/cmdline") in *"-accel kvm"*) echo kvm ;; *"-accel tcg"*) echo tcg ;; *) echo unknown ;; esac
}

cmd_acquire() { # acquire NAME [PID]: PID (default: the parent process) holds the lease
  local name=${1:-} pid=${2:-$PPID} st started=0
  check_lease_name "$name"
  st=$(proc_start "$pid") || die "no process $pid"
  [ -n "$st" ] || die "no process $pid"
  need_root; lock_run
  cmd_build
  if cmd_alive; then
    log "guest on 127.0.0.1:$SSH_PORT already running: reusing it"
  elif qemu_pid >/dev/null; then
    # qemu runs but does not answer yet: someone started it by hand and it is still booting
    log "qemu $(qemu_pid) is running but not answering yet: waiting up to ${BOOT_TIMEOUT}s"
    wait_ready "$BOOT_TIMEOUT" || die "guest on 127.0.0.1:$SSH_PORT (qemu $(qemu_pid)) not reachable after ${BOOT_TIMEOUT}s"
  else
    rm -f "$RUN/harness-started"
    cmd_start
    date -Is >"$RUN/harness-started"; started=1
  fi
  cmd_ensure_pools >&2
  mkdir -p "$RUN/leases"; prune_leases
  echo "$pid $st" >"$RUN/leases/$name"
  echo "started=$started"
  echo "accel=$(cat "$RUN/accel" 2>/dev/null || accel_of_running)"
  echo "run=$RUN"
}

cmd_release() { # release NAME: drop the lease; stop a harness-started guest nobody uses any more
  local name=${1:-}
  check_lease_name "$name"
  lock_run
  rm -f "$RUN/leases/$name"; prune_leases
  if [ ! -f "$RUN/harness-started" ]; then log "guest was not started by the harness: left running"; return 0; fi
  if [ "$(live_leases)" -gt 0 ]; then log "guest still leased ($(live_leases) live): left running"; return 0; fi
  cmd_stop; rm -f "$RUN/harness-started"
}

cmd_status() {
  if pid=$(qemu_pid); then echo "running: pid $pid, ssh -p $SSH_PORT root@127.0.0.1 (key $KEY)"; else echo "stopped"; fi
  [ -f "$IMG/.ok" ] && echo "image: OpenZFS $(cat "$MODDIR/VERSION" 2>/dev/null), kernel $KVER ($IMG)" || echo "image: not built"
  [ -f "$TIMINGS" ] && { echo "--- timings ($TIMINGS)"; tail -20 "$TIMINGS"; }
}

cmd_clean() {
  cmd_kill || true
  rm -rf "$RUN" "$IMG"
  if [ "${1:-}" = all ]; then safe_rm "$BUILDER"; safe_rm "$ROOTFS"; rm -rf "$CACHE"; fi
}

main() {
  local c=${1:-help}; shift || true
  case $c in
    build) cmd_build ;;
    start) lock_run; cmd_start ;;
    alive) cmd_alive ;;
    push) cmd_push "${1:-}" ;;
    ensure-pools) cmd_ensure_pools ;;
    acquire) cmd_acquire "$@" ;;
    release) cmd_release "${1:-}" ;;
    stop) lock_run; cmd_stop; rm -f "$RUN/harness-started" ;;
    kill) lock_run; cmd_kill ;;
    exec) [ $# -gt 0 ] || die "usage: $0 exec CMD..."; gssh "$@" ;;
    ssh) gssh "$@" ;;
    ssh-config) cmd_ssh_config ;;
    mkpools) cmd_mkpools ;;
    selftest) cmd_selftest ;;
    bench) cmd_bench ;;
    status) cmd_status ;;
    console) tail -n "${1:-50}" "$RUN/console.log" ;;
    clean) cmd_clean "${1:-}" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; [ "$c" = help ] ;;
  esac
}
main "$@"
