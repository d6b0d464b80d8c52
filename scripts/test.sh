#!/bin/sh
# Installs what the tests need (only what is missing), builds, and runs
# every test with meson.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh test
[ -f _build/build.ninja ] || meson setup _build
ninja -C _build
meson test -C _build --print-errorlogs "$@"
