#!/bin/sh
# with-postgres.sh COMMAND [ARGS...]: runs COMMAND with a private PostgreSQL
# server (a new cluster in a temporary directory, listening only on a Unix
# socket there) and SKIDKA_TEST_POSTGRES set to its URI; stops and removes
# the server afterwards, whatever COMMAND did. Exit status: COMMAND's; when
# PostgreSQL is not installed, 0 after a TAP plan that says skipped.
#   SKIDKA_PG_FSYNC=on  keeps fsync (benchmarks); tests run without it.
set -eu

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  # The suites it runs speak TAP: skipped is this line and status 0.
  echo "1..0 # SKIP PostgreSQL server binaries not found"
  exit 0
fi

dir=$(mktemp -d /tmp/skidka-pg-XXXXXX)
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
fi

stop() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

as_owner "$bindir/initdb" -D "$dir/data" -U skidka -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-k $dir -c listen_addresses= -c fsync=${SKIDKA_PG_FSYNC:-off} -c max_connections=200" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
as_owner "$bindir/createdb" -h "$dir" -U skidka skidka

SKIDKA_TEST_POSTGRES="postgresql:///skidka?host=$dir&user=skidka"
export SKIDKA_TEST_POSTGRES
set +e
"$@"
status=$?
set -e
exit $status
