#!/bin/sh
# bench-single-writer.sh: (d) of bench-sync as the server was when every
# PostgreSQL write took one lock for the whole chain (commit 780ff8f, the
# last before sales locked rows), built in a worktree of its own beside this
# one, on a PostgreSQL of its own: the "single-writer rate" that issue 12's
# target for tills pushing at once is measured against. Run it from the
# source tree, on an idle machine, after `bench-sync --backend postgresql
# --only d`, and compare their events per second.
#   SINGLE_WRITER_DIR  where the worktree and its build go (default
#                      /tmp/skidka-single-writer; kept for a second run)
set -eu

rev=780ff8f
dir=${SINGLE_WRITER_DIR:-/tmp/skidka-single-writer}

if [ ! -d "$dir" ]; then
  git worktree add --detach "$dir" "$rev"
fi
[ -d "$dir/_build" ] || meson setup "$dir/_build" "$dir" >/dev/null
ninja -C "$dir/_build" bench/bench-sync src/server/skidka-server >/dev/null
cd "$dir"
SKIDKA_PG_FSYNC=on tests/with-postgres.sh _build/bench/bench-sync --backend postgresql --only d "$@"
