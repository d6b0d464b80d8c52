#!/bin/sh
# Takes the metainfo's screenshots from the real app: a demo chain made by
# skidka-cli, the app from the build tree under Xvfb, one PNG per view into
# data/screenshots/. Needs xvfb-run, xdotool and imagemagick's import.
# Usage: sh scripts/screenshots.sh [BUILD-DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-_build}
out=data/screenshots
ninja -C "$build" src/app/skidka src/cli/skidka-cli data/gschemas.compiled > /dev/null

if [ -z "${SKIDKA_SCREENSHOTS_DISPLAY:-}" ]; then
  export SKIDKA_SCREENSHOTS_DISPLAY=1
  exec xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- sh "$0" "$build"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/src/cli/skidka-cli" --db "$work/skidka.db" demo --customers 300 --purchases 3000 --seed 7 > /dev/null
mkdir -p "$out"

LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 SKIDKA_DB="$work/skidka.db" \
  GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" SKIDKA_LOCALEDIR="$build/po" \
  GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none \
  "$build/src/app/skidka" > "$work/app.log" 2>&1 &
app=$!
window=""
for _ in $(seq 1 300); do
  window=$(xdotool search --pid "$app" --onlyvisible --name . 2> /dev/null | head -n 1) && [ -n "$window" ] && break
  sleep 0.1
done
[ -n "$window" ] || { cat "$work/app.log"; echo "screenshots: no window" >&2; exit 1; }
xdotool windowsize "$window" 1200 760
xdotool windowmove "$window" 0 0
sleep 2

# The view, its name: Alt+1…5 switch views (the shortcuts window lists them).
n=1
for view in checkout customers rules campaigns charts; do
  xdotool windowactivate --sync "$window" 2> /dev/null || true
  xdotool key --window "$window" "alt+$n"
  sleep 3
  import -window "$window" "$out/$view.png"
  n=$((n + 1))
done
kill "$app"
wait "$app" 2> /dev/null || true
ls -l "$out"
