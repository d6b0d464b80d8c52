#!/bin/sh
# bench-server.sh: skidka-server under wrk over loopback, on a demo database of
# 100 000 customers and 200 000 purchases: requests per second and p99
# latency of /api/health, a customer lookup, discounts/calculate and
# pos/process-purchase (and a till's card search), each also as a ratio to a
# /api/health run made just before it.
#   sh bench/bench-server.sh [BUILD_DIR]    (default _build; env: DURATION=10s THREADS=4 CONNECTIONS=32)
#   BACKEND=postgresql sh bench/bench-server.sh   the same on a private PostgreSQL
#                                                 server (tests/with-postgres.sh, fsync on)
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

build="${1:-_build}"
server="$build/src/server/skidka-server"
cli="$build/src/cli/skidka-cli"
duration="${DURATION:-10s}"
threads="${THREADS:-4}"
connections="${CONNECTIONS:-32}"
customers="${CUSTOMERS:-100000}"
purchases="${PURCHASES:-200000}"
port="${PORT:-18480}"
backend="${BACKEND:-sqlite}"

if [ "$backend" = postgresql ] && [ -z "${SKIDKA_TEST_POSTGRES:-}" ]; then
  SKIDKA_PG_FSYNC=on exec sh "$(dirname "$0")/../tests/with-postgres.sh" sh "$0" "$@"
fi

if [ "$backend" = postgresql ]; then client=psql; else client=sqlite3; fi
for tool in wrk "$client" curl; do
  command -v "$tool" >/dev/null || { echo "bench-server: $tool is needed" >&2; exit 1; }
done
[ -x "$server" ] && [ -x "$cli" ] || { echo "bench-server: build first (ninja -C $build)" >&2; exit 1; }

work="$(mktemp -d /tmp/skidka-bench-XXXXXX)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ "$backend" = postgresql ]; then
  db="$SKIDKA_TEST_POSTGRES"
  sql() { psql -Atq "$db" -c "$1"; }
else
  db="$work/bench.db"
  sql() { sqlite3 "$db" "$1"; }
fi
echo "Building a demo database: $customers customers, $purchases purchases..."
"$cli" --db "$db" demo --customers "$customers" --purchases "$purchases" >/dev/null
# As an operator would after a bulk load; else PostgreSQL's autovacuum
# analyses the new tables during the runs, on the same 2 CPUs.
if [ "$backend" = postgresql ]; then sql "VACUUM ANALYZE"; else sql "ANALYZE"; fi
printf 'bench-password\n' > "$work/password"
"$server" --database "$db" admin create-user --username bench --role admin --password-file "$work/password" >/dev/null

"$server" --database "$db" --port "$port" --log-level message 2> "$work/server.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done

token=$(curl -sf "http://127.0.0.1:$port/api/auth/login" \
  -d '{"username": "bench", "password": "bench-password"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
store=$(sql "SELECT id FROM stores ORDER BY code LIMIT 1")
sql "SELECT id FROM customers ORDER BY random() LIMIT 2000" | sed 's/.*/"&",/' > "$work/ids"
sql "SELECT card_number FROM customers WHERE card_number IS NOT NULL ORDER BY random() LIMIT 2000" \
  | sed 's/.*/"&",/' > "$work/cards"

common() {
  cat <<LUA
local ids = { $(tr -d '\n' < "$work/ids") }
local cards = { $(tr -d '\n' < "$work/cards") }
local headers = { ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json" }
local store = "$store"
-- Requests that do not need to differ are made once, when a thread starts,
-- as wrk's own static request for /api/health is: else the Lua that makes
-- each one costs wrk, on the same CPUs, more than the server's work on it.
-- A script sets make (i) for the i-th of its pool (any number of entries);
-- request () then picks one at random.
local pool = {}
function init (args)
  math.randomseed (os.time () + tonumber (tostring ({}):match ("0x(%x+)") or "1", 16))
  if make then
    for i = 1, #ids do pool[i] = make (i) end
  end
end
local function pooled ()
  return pool[math.random (#pool)]
end
local function uuid ()
  return (string.gsub ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function (c)
    return string.format ("%x", c == "x" and math.random (0, 15) or math.random (8, 11))
  end))
end
local function cart (customer)
  return '"store_id": "' .. store .. '", "customer_id": "' .. customer .. '", "items": [' ..
    '{"sku": "TOY-001", "name": "Bear", "category": "Игрушки", "unit_price": 349900, "quantity": 1},' ..
    '{"sku": "TOY-003", "name": "Ball", "category": "Игрушки", "unit_price": 99900, "quantity": 2}]'
end
LUA
}

{ common; cat <<'LUA'
make = function (i)
  return wrk.format ("GET", "/api/customers/" .. ids[i], headers)
end
request = pooled
LUA
} > "$work/lookup.lua"
{ common; cat <<'LUA'
make = function (i)
  return wrk.format ("GET", "/api/customers?limit=5&q=" .. cards[(i - 1) % #cards + 1], headers)
end
request = pooled
LUA
} > "$work/search.lua"
{ common; cat <<'LUA'
make = function (i)
  return wrk.format ("POST", "/api/discounts/calculate", headers, "{" .. cart (ids[i]) .. "}")
end
request = pooled
LUA
} > "$work/calculate.lua"
# A purchase needs a new id each time: made per request.
{ common; cat <<'LUA'
request = function ()
  return wrk.format ("POST", "/api/pos/process-purchase", headers,
                     '{"id": "' .. uuid () .. '", ' .. cart (ids[math.random (#ids)]) .. '}')
end
LUA
} > "$work/purchase.lua"

# run NAME [SCRIPT]: prints "rps p99_ms errors"
run() {
  if [ -n "${2:-}" ]; then
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$2" "http://127.0.0.1:$port/api/health")
  else
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port/api/health")
  fi
  rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }')
  bad=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  echo "$rps ${p99:-?} ${bad:-0}"
}

echo "wrk: $threads threads, $connections connections, $duration each; $(nproc) CPUs; $backend"
# This machine's speed drifts from minute to minute (other guests on the
# host), so each endpoint is compared with a /api/health run made just
# before it, not with one made a minute earlier.
health=$(run health)
lookup_base=$(run health); lookup=$(run lookup "$work/lookup.lua")
search_base=$(run health); search=$(run search "$work/search.lua")
calculate_base=$(run health); calculate=$(run calculate "$work/calculate.lua")
purchase_base=$(run health); purchase=$(run purchase "$work/purchase.lua")
sold=$(sql "SELECT count(*) FROM purchases")

printf '%-32s %12s %10s %14s %10s %8s\n' endpoint req/s p99_ms health_before vs_health non2xx
for row in "GET /api/health:$health:$health" "GET /api/customers/{id}:$lookup:$lookup_base" \
           "GET /api/customers?q=CARD:$search:$search_base" \
           "POST /api/discounts/calculate:$calculate:$calculate_base" \
           "POST /api/pos/process-purchase:$purchase:$purchase_base"; do
  name="${row%%:*}"
  rest="${row#*:}"
  base="${rest#*:}"
  base="${base%% *}"
  set -- ${rest%%:*}
  printf '%-32s %12s %10s %14s %9s%% %8s\n' "$name" "$1" "$2" "$base" \
    "$(echo "$1 $base" | awk '{ printf "%.1f", 100 * $1 / $2 }')" "$3"
done
echo "purchases in the database after the run: $sold"
# The server says, as it stops, how busy its one database writer was: near
# 100 % during the process-purchase run means the commit is the bound.
kill "$pid" && wait "$pid" 2>/dev/null || true
pid=""
stats=$(grep -o '[0-9]* writes in.*' "$work/server.log" || true)
echo "server: $stats"
busy=$(echo "$stats" | sed -n 's/.*busy \([0-9.]*\) s.*/\1/p')
seconds=$(echo "$duration" | sed -n 's/^\([0-9]*\)s$/\1/p')
if [ -n "$busy" ] && [ -n "$seconds" ]; then
  echo "$busy $seconds" | awk '{ printf "the writer was busy %.0f %% of the %d s process-purchase run\n", 100 * $1 / $2, $2 }'
fi
