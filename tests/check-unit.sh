#!/bin/sh
# Rates the installed systemd unit of skidka-server with systemd-analyze
# security (offline, so no running systemd is needed) and fails above 2.0.
# Usage: check-unit.sh SYSTEMD-ANALYZE UNIT-FILE
set -eu
analyze=$1
unit=$2
limit=2.0

if ! report=$("$analyze" security --offline=yes --no-pager "$unit" 2>&1); then
  # systemd before 250 has no --offline: nothing to measure with.
  if printf '%s' "$report" | grep -q -- "--offline"; then
    echo "SKIP: systemd-analyze has no --offline" >&2
    exit 77
  fi
  printf '%s\n' "$report" >&2
  exit 1
fi
printf '%s\n' "$report" | grep '✗' >&2 || true
level=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "exposure $level (at most $limit)" >&2
[ -n "$level" ] && awk -v l="$level" -v max="$limit" 'BEGIN { exit !(l <= max) }'
