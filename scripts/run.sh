#!/bin/sh
# Sets up, builds and starts Skidka on its embedded default: a local SQLite
# file with demo data. Until the desktop app lands this is skidka-cli.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
[ -f _build/build.ninja ] || meson setup _build
ninja -C _build

data="${XDG_DATA_HOME:-$HOME/.local/share}/skidka"
db="$data/skidka.db"
mkdir -p "$data"
if [ ! -f "$db" ]; then
  _build/src/cli/skidka-cli --db "$db" demo
fi
echo "Database: $db"
_build/src/cli/skidka-cli --db "$db" summary
