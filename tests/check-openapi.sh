#!/bin/sh
# check-openapi.sh: validates the OpenAPI document skidka-server serves with
# swagger-cli (npm, installed by scripts/install-deps.sh under tools/openapi);
# skips (77) when the validator is not installed.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
server="$1"
tools="$2"
validator="$tools/node_modules/.bin/swagger-cli"

if [ ! -x "$validator" ] || ! command -v node >/dev/null 2>&1; then
  echo "swagger-cli is not installed (cd tools/openapi && npm ci); skipping"
  exit 77
fi
doc="$(mktemp --suffix=.json)"
trap 'rm -f "$doc"' EXIT
"$server" --openapi > "$doc"
"$validator" validate "$doc"
