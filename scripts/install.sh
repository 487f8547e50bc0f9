#!/usr/bin/env bash
# Installs zfailover on a server, from a checkout, as root: builds the self-contained bundle (no node_modules at
# run time), copies it to PREFIX, links the executables into BINDIR, creates the config and state directories
# (0700; the example config only when none exists), and installs the MIB. Idempotent. `--uninstall` removes the
# links and PREFIX, never the config or the state. Needs Node.js >= 20 and npm to build, 18.19+ to run; zfs, ssh
# and coreutils' `timeout`, optionally mbuffer, pv, zstd or lz4 (see the README).
#   scripts/install.sh [--no-build] [--uninstall]
# Locations (environment): ZFAILOVER_PREFIX=/opt/zfailover ZFAILOVER_BINDIR=/usr/local/bin
#   ZFAILOVER_CONFDIR=/etc/zfailover ZFAILOVER_STATEDIR=/var/lib/zfailover
#   ZFAILOVER_MIBDIR=/usr/share/snmp/mibs (empty: no MIB)
# Stock Debian has no IETF base MIBs (snmp-mibs-downloader is non-free), so SNMPv2-SMI/-TC/-CONF/-MIB, which
# ZFAILOVER-MIB imports, are installed from the net-snmp npm package into $ZFAILOVER_MIBDIR/ietf (on Net-SNMP's
# default search path) when no copy of SNMPv2-SMI is there yet; an existing one (the downloader's) is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${ZFAILOVER_PREFIX:-/opt/zfailover}
BINDIR=${ZFAILOVER_BINDIR:-/usr/local/bin}
CONFDIR=${ZFAILOVER_CONFDIR:-/etc/zfailover}
STATEDIR=${ZFAILOVER_STATEDIR:-/var/lib/zfailover}
MIBDIR=${ZFAILOVER_MIBDIR-/usr/share/snmp/mibs}
BINS=(zfailover check_zfs_rpo check_zfs_divergence check_zfs_job check_zfs_gaps check_zfs_health check_zfs_capacity)

build=1
action=install
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --uninstall) action=uninstall ;;
    *) echo "install.sh: unknown argument '$a' (usage: scripts/install.sh [--no-build] [--uninstall])" >&2; exit 3 ;;
  esac
done

if [ "$action" = uninstall ]; then
  for b in "${BINS[@]}"; do
    # Only our own links: a file of the same name that is not ours stays.
    if [ -L "$BINDIR/$b" ] && [ "$(readlink "$BINDIR/$b")" = "$PREFIX/bin/$b" ]; then rm -f "$BINDIR/$b"; fi
  done
  [ -n "$MIBDIR" ] && rm -f "$MIBDIR/ZFAILOVER-MIB.txt"
  rm -rf "$PREFIX"
  echo "zfailover removed from $PREFIX and $BINDIR; kept $CONFDIR and $STATEDIR"
  exit 0
fi

# Building (tsc, esbuild, npm) needs Node.js >= 20; the bundle itself runs on 18.19+ (Debian 12, Ubuntu 24.04).
node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); const [x, y] = process.argv.slice(1).map(Number); process.exit(a > x || (a === x && b >= y) ? 0 : 1)' "$1" "$2" 2>/dev/null; }
if [ "$build" = 1 ]; then need=20.0; node_ok 20 0; else need=18.19; node_ok 18 19; fi \
  || { echo "zfailover needs Node.js >= $need$([ "$build" = 1 ] && echo ' to build (--no-build with a bundle built elsewhere: >= 18.19)') (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
if [ "$build" = 1 ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run build --silent
fi
[ -f dist/bundle/bin.js ] || { echo "no build in dist/bundle: run without --no-build" >&2; exit 1; }

# A fresh copy beside the old one, then a rename: a Monit cycle running meanwhile sees either, never a mix.
staging="$PREFIX.new.$$"
rm -rf "$staging"
mkdir -p "$staging/dist"
cp -r bin monit mibs examples "$staging/"
cp -r dist/bundle "$staging/dist/bundle"
cp package.json README.md "$staging/"
chmod -R go-w "$staging"
if [ -d "$PREFIX" ]; then mv "$PREFIX" "$PREFIX.old.$$"; fi
mv "$staging" "$PREFIX"
rm -rf "$PREFIX.old.$$"

mkdir -p "$BINDIR"
for b in "${BINS[@]}"; do ln -sfn "$PREFIX/bin/$b" "$BINDIR/$b"; done

install -d -m 0700 "$CONFDIR" "$STATEDIR"
if [ ! -e "$CONFDIR/zfailover.yml" ]; then
  install -m 0600 examples/zfailover.yml "$CONFDIR/zfailover.yml"
  created="created $CONFDIR/zfailover.yml from the example: edit it, then"
else
  created="kept $CONFDIR/zfailover.yml;"
fi
if [ -n "$MIBDIR" ] && [ -d "$MIBDIR" ]; then
  install -m 0644 mibs/ZFAILOVER-MIB.txt "$MIBDIR/"
  if ! ls "$MIBDIR"/SNMPv2-SMI* "$MIBDIR"/ietf/SNMPv2-SMI* >/dev/null 2>&1; then
    if [ -f node_modules/net-snmp/lib/mibs/SNMPv2-SMI.mib ]; then
      install -d -m 0755 "$MIBDIR/ietf"
      for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMPv2-MIB; do install -m 0644 "node_modules/net-snmp/lib/mibs/$m.mib" "$MIBDIR/ietf/$m.txt"; done
      echo "installed the IETF base MIBs (SNMPv2-SMI, -TC, -CONF, -MIB) into $MIBDIR/ietf"
    else
      echo "note: no IETF base MIBs in $MIBDIR and no node_modules/net-snmp to take them from: snmptrapd cannot translate zfailover traps" >&2
    fi
  fi
fi

echo "$("$BINDIR/zfailover" --version) installed in $PREFIX, executables in $BINDIR"
echo "$created check it with: zfailover sync --job <name> --dry-run; Monit lines: $PREFIX/monit/"
