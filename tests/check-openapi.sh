#!/bin/sh
# check-openapi.sh: lints the OpenAPI document skidka-server serves with
# redocly (npm's @redocly/cli, optional: cd tools/openapi && npm ci); skips
# (77) when it is not installed. Errors fail the test; warnings are shown.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
server="$1"
tools="$2"
linter="$tools/node_modules/.bin/redocly"

if [ ! -x "$linter" ] || ! command -v node >/dev/null 2>&1; then
  echo "SKIP: redocly is not installed (optional: apt-get install npm; cd tools/openapi && npm ci)"
  exit 77
fi
doc="$(mktemp --suffix=.json)"
trap 'rm -f "$doc"' EXIT
"$server" --openapi > "$doc"
# No telemetry, no update check: the test runs offline.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$linter" lint --format=summary "$doc"
