#!/bin/sh
# Installs what the tests need (only what is missing), builds, and runs
# every test with meson.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh test
# Configured before by run.sh, the build has not seen what was installed
# for the tests since (xvfb-run, appstream, flatpak-builder...): look again.
if [ -f _build/build.ninja ]; then
  meson setup --reconfigure _build > /dev/null
else
  meson setup _build
fi
ninja -C _build
meson test -C _build --print-errorlogs "$@"
