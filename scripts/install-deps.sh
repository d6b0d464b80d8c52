#!/bin/sh
# Installs, from Debian 12's archive, everything Skidka needs to build, run
# and test. Safe to run again.
set -eu

packages="
  gcc meson ninja-build pkg-config gettext
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev
  libsoup-3.0-dev libsodium-dev libpq-dev postgresql
  libcurl4-openssl-dev
  xvfb xauth dbus desktop-file-utils appstream imagemagick
  wrk
  clang-14 libclang-rt-14-dev clang-format
"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (or with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $packages
# npm for the OpenAPI validator: Debian's, unless a Node.js with its own npm
# is there already (Debian's npm conflicts with such a nodejs).
command -v npm > /dev/null || apt-get install -y -q --no-install-recommends nodejs npm

# The OpenAPI validator the server's tests use (tools/openapi, from npm);
# without it (offline) that one test skips.
cd "$(dirname "$0")/../tools/openapi"
npm ci --no-audit --no-fund || echo "install-deps: npm ci failed; the openapi test will skip" >&2
