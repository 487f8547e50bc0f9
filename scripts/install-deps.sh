#!/usr/bin/env bash
# Installs what zfailover, its demo and its tests need on Debian 12 (run as root): apt packages, npm deps, build.
# Idempotent: packages already present are skipped, `npm ci` only runs when node_modules is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "zfailover needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# zfs-fuse only when no kernel ZFS is present (zfsutils-linux conflicts with it).
pkgs=(openssh-server openssh-client mbuffer pv zstd lz4 procps psmisc util-linux
      monit monitoring-plugins-basic snmptrapd snmp libmonitoring-plugin-perl python3-nagiosplugin
      icinga2-bin smitools sanoid hyperfine qemu-system-x86 debootstrap e2fsprogs strace
      sudo)
if ! command -v zfs >/dev/null 2>&1 || dpkg -s zfs-fuse >/dev/null 2>&1; then pkgs+=(zfs-fuse); fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
