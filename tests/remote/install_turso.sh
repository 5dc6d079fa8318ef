#!/usr/bin/env bash
# Install the npm package `turso` (it ships `tursodb`, the server the remote tests start) into a
# cache folder, and print the path of the `tursodb` binary. Does nothing but print the path when
# that version is already there.
#
#   CACHE: $VFMIGRATE_CACHE/turso, else ~/.cache/vfmigrate/turso (tests/remote/conftest.py looks
#   in the same place, so after this script the remote tests run without further settings).
#
# The package's `turso` command is a node wrapper around the real binary, which npm puts in the
# platform package `@tursodatabase/cli-<os>-<cpu>` (an optional dependency); the tests start that
# binary directly, so they can stop it by its own pid.
set -euo pipefail

VERSION=0.6.0
CACHE="${VFMIGRATE_CACHE:-$HOME/.cache/vfmigrate}/turso"

find_binary() {
    local found
    for found in "$CACHE"/node_modules/@tursodatabase/cli-*/tursodb; do
        if [ -x "$found" ]; then
            echo "$found"
            return 0
        fi
    done
    return 1
}

installed_version() {
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$CACHE/node_modules/turso/package.json" 2>/dev/null | head -n 1
}

if [ "$(installed_version)" != "$VERSION" ] || ! find_binary >/dev/null; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "install_turso.sh: npm is not installed; install Node.js (which brings npm) and run this again" >&2
        exit 1
    fi
    mkdir -p "$CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "turso@$VERSION" >&2
fi

if ! find_binary; then
    echo "install_turso.sh: turso@$VERSION is installed in $CACHE but has no tursodb binary for this platform" >&2
    exit 1
fi
