#!/usr/bin/env bash
# Builds the Debian package zfailover_<version>_all.deb from a checkout, without network (after `npm run build`,
# which needs node_modules): the self-contained bundle (no node_modules at run time) runs on Debian's own nodejs
# (>= 18.19: Debian 12, Ubuntu 24.04, Debian 13). Layout:
#   /usr/lib/zfailover/{bin,dist/bundle}        the program; bin/ shebangs point at Debian's /usr/bin/node
#   /usr/sbin/zfailover, /usr/sbin/check_zfs_*  links into /usr/lib/zfailover/bin
#   /usr/lib/nagios/plugins/check_zfs_*         the same plugins where Debian's monitoring plugins live
#   /etc/zfailover/zfailover.yml                the example config, a conffile (0600 in a 0700 directory)
#   /etc/logrotate.d/zfailover                  rotation of /var/log/zfailover/*.log (a conffile)
#   /usr/share/snmp/mibs/ZFAILOVER-MIB.txt      the MIB
#   /usr/share/doc/zfailover/examples/          Monit snippets (paths rewritten to /usr/sbin), Nagios/Icinga docs
#   /usr/share/man/man5/zfailover.yml.5.gz, man8/zfailover.8.gz, man8/check_zfs_*.8.gz (generated: build-man.mjs)
# Maintainer scripts: postinst creates /var/lib/zfailover (0700) and /var/log/zfailover (0750); remove keeps the
# config and the state; purge deletes them (Debian policy 10.7.3, 6.8).
#   scripts/build-deb.sh [--no-build] [OUTDIR]     (OUTDIR default: dist/deb; prints the .deb's path)
# Environment: ZFAILOVER_DEB_VERSION (default: package.json's version), DEB_MAINTAINER, SOURCE_DATE_EPOCH
# (default: the last commit's time, so two builds of one commit give the same package).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build=1
outdir=dist/deb
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -*) echo "build-deb.sh: unknown argument '$a' (usage: scripts/build-deb.sh [--no-build] [OUTDIR])" >&2; exit 3 ;;
    *) outdir=$a ;;
  esac
done
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }
if [ "$build" = 1 ]; then npm run build --silent; fi
[ -f dist/bundle/bin.js ] && [ -f dist/cli/man/index.js ] || { echo "build-deb.sh: no build in dist/: run npm run build" >&2; exit 1; }

version=${ZFAILOVER_DEB_VERSION:-$(node -p 'require("./package.json").version')}
maintainer=${DEB_MAINTAINER:-zfailover developers <zfailover@example.org>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
BINS=(zfailover check_zfs_rpo check_zfs_divergence check_zfs_job check_zfs_gaps check_zfs_health check_zfs_capacity)

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/zfo-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
p=$stage/zfailover
umask 022

# The program. Shebangs name Debian's interpreter directly (policy 10.4), keeping the V8 flag.
lib=$p/usr/lib/zfailover
install -d "$lib/bin" "$lib/dist"
cp -r dist/bundle "$lib/dist/bundle"
rm -f "$lib"/dist/bundle/*.map "$lib"/dist/bundle/chunks/*.map # stack traces name bundle lines; maps are 4x the code
for b in "${BINS[@]}"; do
  sed '1s|^#!/usr/bin/env -S node |#!/usr/bin/node |' "bin/$b" >"$lib/bin/$b"
  chmod 0755 "$lib/bin/$b"
done
# Extensionless executables are ES modules only under a package.json saying so.
node -e 'process.stdout.write(JSON.stringify({ name: "zfailover", version: process.argv[1], private: true, type: "module" }) + "\n")' \
  "$version" >"$lib/package.json"

install -d "$p/usr/sbin" "$p/usr/lib/nagios/plugins"
for b in "${BINS[@]}"; do ln -s "../lib/zfailover/bin/$b" "$p/usr/sbin/$b"; done
for b in "${BINS[@]}"; do [ "$b" = zfailover ] || ln -s "../../zfailover/bin/$b" "$p/usr/lib/nagios/plugins/$b"; done

# Config (conffiles), logrotate, MIB.
install -d -m 0700 "$p/etc/zfailover"
install -m 0600 examples/zfailover.yml "$p/etc/zfailover/zfailover.yml"
install -d "$p/etc/logrotate.d"
cat >"$p/etc/logrotate.d/zfailover" <<'EOF'
# zfailover's log (log.file in /etc/zfailover/zfailover.yml, JSON lines). Every run opens the file anew, so no
# signal or copytruncate is needed.
/var/log/zfailover/*.log {
	weekly
	rotate 8
	compress
	delaycompress
	missingok
	notifempty
	create 0640 root adm
}
EOF
install -D -m 0644 mibs/ZFAILOVER-MIB.txt "$p/usr/share/snmp/mibs/ZFAILOVER-MIB.txt"

# Documentation and examples; the Monit lines name the packaged executables.
doc=$p/usr/share/doc/zfailover
install -d "$doc/examples/monit"
install -m 0644 README.md "$doc/README.md"
install -m 0644 examples/zfailover.yml "$doc/examples/zfailover.yml"
for f in monit/*; do sed 's|/usr/local/bin/|/usr/sbin/|g' "$f" >"$doc/examples/monit/$(basename "$f")"; done
install -m 0644 docs/nagios-icinga.md "$doc/examples/nagios-icinga.md"
gzip -9n "$doc/README.md"

# Man pages, generated from the program's own option declarations and config schema.
install -d "$p/usr/share/man/man5" "$p/usr/share/man/man8"
node scripts/build-man.mjs "$stage/man" >/dev/null
for f in "$stage"/man/*.[58]; do
  sec=${f##*.}
  gzip -9n <"$f" >"$p/usr/share/man/man$sec/$(basename "$f").gz"
done

# Debian changelog (native package) and machine-readable copyright, bundled npm packages included.
date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
cat >"$stage/changelog" <<EOF
zfailover ($version) unstable; urgency=medium

  * Packaged from the upstream checkout (scripts/build-deb.sh).

 -- $maintainer  $date_rfc
EOF
gzip -9n <"$stage/changelog" >"$doc/changelog.gz"
node scripts/deb-copyright.mjs >"$doc/copyright"

# Lintian: the modes below are deliberate (secrets may live in the config; state holds locks and ssh sockets).
install -d "$p/usr/share/lintian/overrides"
cat >"$p/usr/share/lintian/overrides/zfailover" <<'EOF'
# The config may hold SMTP/SNMP secrets: zfailover refuses a config other users can read.
zfailover: non-standard-dir-perm 0700 != 0755 [etc/zfailover/]
zfailover: non-standard-file-perm 0600 != 0644 [etc/zfailover/zfailover.yml]
EOF

# Maintainer scripts.
install -d "$p/DEBIAN"
cat >"$p/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# zfailover: the state directory (locks, cursors, ssh control sockets) is private to root; so is the log.
set -e
if [ "$1" = configure ]; then
	install -d -m 0700 /var/lib/zfailover
	install -d -m 0750 /var/log/zfailover
	chmod 0700 /var/lib/zfailover
fi
exit 0
EOF
cat >"$p/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# zfailover: remove keeps the config and the state; purge deletes them with the logs (Debian policy 6.8).
set -e
case "$1" in
	remove)
		# The V8 code cache newer Node.js versions write beside the bundle.
		rm -rf /usr/lib/zfailover/dist/compile-cache
		;;
	purge)
		rm -rf /usr/lib/zfailover/dist/compile-cache
		rm -rf /var/lib/zfailover /var/log/zfailover
		# Files the operator added next to the conffile (known_hosts, keys); dpkg removes the conffile itself.
		rm -rf /etc/zfailover
		;;
esac
exit 0
EOF
chmod 0755 "$p/DEBIAN/postinst" "$p/DEBIAN/postrm"
printf '/etc/zfailover/zfailover.yml\n/etc/logrotate.d/zfailover\n' >"$p/DEBIAN/conffiles"
(cd "$p" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$p/DEBIAN/md5sums"
installed_size=$(du -sk --exclude=DEBIAN "$p" | cut -f1)
cat >"$p/DEBIAN/control" <<EOF
Package: zfailover
Version: $version
Architecture: all
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: nodejs (>= 18.19)
Recommends: zfsutils-linux | zfs-fuse, openssh-client, monit
Suggests: mbuffer, pv, zstd, lz4, monitoring-plugins-basic
Section: admin
Priority: optional
Description: continuously replicated ZFS hot standby with checks and failover
 zfailover keeps a ZFS standby current by incremental zfs send/receive (local
 or over ssh, every 15 seconds under Monit), takes labelled snapshots with
 replication-aware retention, and provides Nagios/Icinga/Monit plugins
 (check_zfs_*), email and SNMP alerts, and one-command switchover, takeover,
 fencing and failback (promote, demote, status).
 .
 It runs on the distribution's own Node.js (18.19 or later).
EOF

# Reproducible: every mtime clamped to SOURCE_DATE_EPOCH.
find "$p" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$outdir/zfailover_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$p" "$deb" >/dev/null
echo "$deb"
