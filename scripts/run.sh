#!/bin/sh
# Sets up, builds and starts the Skidka desktop app on its embedded default:
# a local SQLite file in the user data dir (~/.local/share/skidka/skidka.db);
# on the first run the app offers to load demo data. A second run installs
# nothing and rebuilds only what changed.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh run
[ -f _build/build.ninja ] || meson setup _build
ninja -C _build

# Run from the build tree: the settings schema and translations built there
# (icons come from the app's own resources).
GSETTINGS_SCHEMA_DIR="$(pwd)/_build/data" SKIDKA_LOCALEDIR="$(pwd)/_build/po" \
  exec _build/src/app/skidka "$@"
