#!/usr/bin/env bash
# The full test suite, as CI runs it: installs dependencies, then unit, CLI, zfs-fuse and OpenZFS-guest tests.
# Suites that cannot run on this machine are reported as skipped with the reason, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# `sudo scripts/test.sh` is root's own run: without this, every check_zfs_* the suite starts would be in the
# restricted mode of plugins run by sudo for another user (docs/nagios-icinga.md); test/security sets it itself.
unset SUDO_UID SUDO_GID SUDO_USER SUDO_COMMAND PKEXEC_UID
exec npx vitest run "$@"
