#!/bin/sh
# meson install into a DESTDIR, then the installed app started under Xvfb
# with that DESTDIR mounted at the prefix (bubblewrap), in Russian: it must
# find its settings schema (else it aborts), its translations (its window
# title is Russian) and its icon (installed in the hicolor theme, named by
# the .desktop file, set on the window). Also checks the man pages and the
# systemd unit's paths.
# Usage: check-install.sh BUILD-DIR
set -eu
build=$1
prefix=$(meson introspect --buildoptions "$build" |
  python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
for tool in bwrap xvfb-run xprop xdotool dbus-run-session; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
# bubblewrap needs mount namespaces (not there inside a chroot, say).
if ! bwrap --bind / / --dev-bind /dev /dev --proc /proc true 2> /dev/null; then
  echo "SKIP: bubblewrap cannot make a mount namespace here"
  exit 77
fi
case "$prefix" in
  /usr | /) echo "SKIP: prefix $prefix cannot be mounted over"; exit 77 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/dest

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet > "$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
root=$dest$prefix
fail () { echo "FAIL: $*"; exit 1; }

[ -x "$root/bin/skidka" ] || fail "no bin/skidka"
# A packager's trigger does this; meson skips it under DESTDIR.
glib-compile-schemas "$root/share/glib-2.0/schemas"
icon=$root/share/icons/hicolor/scalable/apps/org.skidka.Skidka.svg
[ -f "$icon" ] || fail "no $icon"
grep -q '^Icon=org.skidka.Skidka$' "$root/share/applications/org.skidka.Skidka.desktop" ||
  fail "the .desktop file names another icon"
[ -f "$root/share/locale/ru/LC_MESSAGES/skidka.mo" ] || fail "no Russian translation installed"
if [ -x "$root/bin/skidka-server" ]; then
  grep -q "^ExecStart=$prefix/bin/skidka-server " "$root/lib/systemd/system/skidka-server.service" ||
    fail "the unit does not start $prefix/bin/skidka-server"
  if command -v help2man > /dev/null; then
    grep -q '^\.SH "ADMIN COMMANDS"' "$root/share/man/man1/skidka-server.1" ||
      fail "no skidka-server(1) with its admin commands"
  fi
fi

# Every program says its version; an admin command has its own --help.
version=$(meson introspect --projectinfo "$build" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
GSETTINGS_SCHEMA_DIR=$root/share/glib-2.0/schemas GSETTINGS_BACKEND=memory "$root/bin/skidka" --version |
  grep -qx "skidka $version" || fail "skidka --version"
for program in skidka-server skidka-cli; do
  [ -x "$root/bin/$program" ] || continue
  "$root/bin/$program" --version | grep -qx "$program $version" || fail "$program --version"
done
if [ -x "$root/bin/skidka-server" ]; then
  "$root/bin/skidka-server" admin create-user --help | grep -q -- '--password-file' ||
    fail "skidka-server admin create-user --help does not show its options"
fi

# The installed app, as if installed: DESTDIR's prefix mounted at the prefix.
mkdir -p "$work/home"
cat > "$work/run.sh" << 'INNER'
set -u
HOME=$1 XDG_DATA_HOME=$1/data XDG_CONFIG_HOME=$1/config XDG_CACHE_HOME=$1/cache \
  GSETTINGS_BACKEND=memory GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none \
  LANGUAGE=ru LANG=ru_RU.UTF-8 LC_ALL=ru_RU.UTF-8 "$2/bin/skidka" > "$1/app.log" 2>&1 &
app=$!
window=""
for _ in $(seq 1 300); do
  window=$(xdotool search --pid "$app" --onlyvisible --name . 2> /dev/null | head -n 1) && [ -n "$window" ] && break
  kill -0 "$app" 2> /dev/null || { echo "the app exited:"; cat "$1/app.log"; exit 1; }
  sleep 0.1
done
[ -n "$window" ] || { echo "no window after 30 s"; cat "$1/app.log"; kill "$app"; exit 1; }
xprop -id "$window" _NET_WM_NAME > "$1/title"
xprop -id "$window" _NET_WM_ICON | head -c 200 > "$1/icon"
kill "$app"
wait "$app" 2> /dev/null || true
INNER
bwrap --bind / / --bind "$root" "$prefix" --dev-bind /dev /dev --proc /proc -- \
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- sh "$work/run.sh" "$work/home" "$prefix" ||
  fail "the installed app did not start"
echo "window: $(cat "$work/home/title")"
grep -q 'Скидка' "$work/home/title" || fail "the window title is not Russian: translations not found"
grep -q 'CARDINAL' "$work/home/icon" || fail "the window has no icon"
echo "installed app: schema, translations and icon found"
