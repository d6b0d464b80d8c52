#!/bin/sh
# Installs, from Debian 12's archive, everything Skidka needs to build, run
# and test. Safe to run again.
set -eu

packages="
  gcc meson ninja-build pkg-config gettext
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev
  libsoup-3.0-dev libsodium-dev libpq-dev postgresql
  xvfb xauth desktop-file-utils appstream
"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (or with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $packages
