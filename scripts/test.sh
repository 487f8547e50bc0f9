#!/usr/bin/env bash
# The full test suite, as CI runs it: installs dependencies, then unit, CLI, zfs-fuse and OpenZFS-guest tests.
# Suites that cannot run on this machine are reported as skipped with the reason, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec npx vitest run "$@"
