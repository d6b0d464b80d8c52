#!/bin/sh
# Installs, from Debian 12's archive, what Skidka needs: "run" to build and
# start the app and the programs, "test" (the default) for every test too.
# Quick when all is there: it asks dpkg, and runs apt only for what is
# missing. Safe to run again.
# Usage: install-deps.sh [run|test]
set -eu

# Build, run, man pages (desktop-file-utils: meson install updates the
# desktop database; libxml2-utils: xmllint strips the UI resources;
# librsvg2-common: GTK draws the app's SVG icons with it, a package GTK
# only recommends).
run_packages="
  gcc meson ninja-build pkg-config gettext help2man desktop-file-utils libxml2-utils
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev librsvg2-common
  libsoup-3.0-dev libsodium-dev libpq-dev libcurl4-openssl-dev
"
# The tests (Xvfb, xprop and xdotool to find the installed app's window,
# a private PostgreSQL server, the validators, faketime for a till whose
# clock is wrong), the
# sanitizer and fuzzer builds (clang), the server benchmark (wrk), the
# screenshots (imagemagick), the Flatpak manifest check (flatpak-builder),
# and the README's HTTP examples (curl, jq).
test_packages="
  xvfb xauth dbus appstream imagemagick x11-utils xdotool
  postgresql-15 curl jq wrk flatpak-builder faketime
  clang-14 libclang-rt-14-dev clang-format locales
"

# The installed app is started in Russian (tests/check-install.sh): the
# locale it needs, made once where the machine has only C.
make_locales() {
  locale -a 2>/dev/null | grep -qix 'ru_RU.utf8' && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: the ru_RU.UTF-8 locale is missing; run as root to make it" >&2
    return 1
  fi
  sed -i 's/^# *\(ru_RU.UTF-8 UTF-8\)/\1/; s/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  grep -q '^ru_RU.UTF-8 UTF-8' /etc/locale.gen || echo 'ru_RU.UTF-8 UTF-8' >> /etc/locale.gen
  locale-gen
}

case "${1:-test}" in
  run) packages=$run_packages ;;
  test) packages="$run_packages $test_packages" ;;
  *) echo "Usage: $0 [run|test]" >&2; exit 2 ;;
esac

missing=""
for package in $packages; do
  dpkg-query -W -f '${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
    missing="$missing $package"
done
if [ -z "$missing" ]; then
  [ "${1:-test}" = run ] || make_locales
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing:$missing; run as root (or with sudo) to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing$missing"

# The tests start a private PostgreSQL server of their own: the package's
# system-wide one (started and enabled by its installation) is not wanted.
# Installed just now, its empty "main" cluster is stopped and removed.
new_postgres=false
case " $missing " in *" postgresql-15 "*) new_postgres=true ;; esac
policy=/usr/sbin/policy-rc.d
if $new_postgres && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

if $new_postgres && [ -d /etc/postgresql/15/main ]; then
  pg_dropcluster --stop 15 main
  echo "install-deps: removed the system PostgreSQL cluster the package made (the tests use their own)"
fi

[ "${1:-test}" = run ] || make_locales
