#!/usr/bin/env bash
# Runs the tests under hostile conditions, as issue-free CI must survive them: `busy` runs the full suite (as CI)
# with `stress-ng --cpu 2` loading every core; `clock` runs the pure and CLI tiers with the process clock moved
# 400 days ahead (libfaketime), so no test may rely on today's date. Extra arguments go to vitest.
#   scripts/test-conditions.sh busy [vitest args]
#   scripts/test-conditions.sh clock [+400d] [vitest args]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
shift || true
need() { command -v "$1" >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null; }; }

case "$mode" in
  busy)
    need stress-ng stress-ng
    stress-ng --cpu 2 --timeout 3h --quiet &
    load=$!
    trap 'kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true' EXIT
    scripts/test.sh "$@"
    ;;
  clock)
    need faketime faketime
    shift_by=+400d
    if [[ ${1:-} =~ ^[+-][0-9]+[dhms]?$ ]]; then shift_by=$1; shift; fi
    scripts/install-deps.sh
    lib=$(dpkg -L libfaketime | grep -m1 '/libfaketime\.so\.1$')
    # Only the wall clock moves: timers and timeouts keep the real monotonic clock. Files the kernel stamps
    # (mtimes) keep the real date, which is why the tiers with state files on disk (alert, zfs) are not run here.
    # The packaging tests run the bundle in Debian chroots, which have no libfaketime to preload: left out too.
    # They are left out by naming the other files (a project's own `exclude` overrides vitest's --exclude).
    mapfile -t cli < <(find test/cli -name '*.test.ts' ! -name deb.test.ts ! -name debian-node.test.ts | sort)
    FAKETIME=$shift_by FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=$lib npx vitest run test/unit "${cli[@]}" "$@"
    ;;
  *)
    echo "usage: scripts/test-conditions.sh busy|clock [+400d] [vitest args]" >&2
    exit 3
    ;;
esac
