#!/usr/bin/env bash
# P8 of BENCHMARKS.md: conversation search, end to end.
#
#   bash bench/run-p8.sh            (or ONLY=p8 with the same settings)
#
# builds the release binaries, starts a throwaway PostgreSQL (port 54800 or the next free one, stopped and
# removed on exit) and, for each store (SQLite, the embedded default, and PostgreSQL), starts a fresh server
# (without the search and chat rate limits) and runs `omi-bench p8`: a user with P8_CONVERSATIONS conversations
# (7 segments of 6 to 22 words each, about 100 words, so 10,000 make about a million transcript words), imported and
# processed; then P8_REQUESTS searches (after P8_WARMUP) over P8_QUERIES queries of one to three words through
# POST /v1/conversations/search, interleaved one for one with the search index's own statement run directly
# (sqlx, pooled connection) on the same database: p50 and p99 of each and their ratio (target p99 <= 3x).
#
# P9 runs on the same data: P9_CHAT (200; 0 skips it) chat questions about the same queries to POST /v2/messages,
# each timed to its first streamed chunk (target p99 <= 100 ms), interleaved with the raw search statement.
#
# Settings (environment): STORES ("sqlite postgres"), P8_CONVERSATIONS (10000), P8_QUERIES (50), P8_REQUESTS
# (500), P8_WARMUP (50), P9_CHAT (200), PG_PORT (54800), NO_BUILD (1: use the binaries in target/release), BUILD_PROFILE
# (release; debug checks the benchmark itself at a small scale, e.g. BUILD_PROFILE=debug P8_CONVERSATIONS=300).
set -euo pipefail

STORES=${STORES:-sqlite postgres}
P8_CONVERSATIONS=${P8_CONVERSATIONS:-10000}
P8_QUERIES=${P8_QUERIES:-50}
P8_REQUESTS=${P8_REQUESTS:-500}
P8_WARMUP=${P8_WARMUP:-50}
P9_CHAT=${P9_CHAT:-200}
PG_PORT=${PG_PORT:-54800}
BUILD_PROFILE=${BUILD_PROFILE:-release}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SERVER="$ROOT/target/$BUILD_PROFILE/omi-server"
BENCH="$ROOT/target/$BUILD_PROFILE/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench-p8.XXXXXX)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
result() { echo "$1=$2" >>"$RESULTS"; }
get() { sed -n "s/^$1=//p" "$RESULTS" | tail -n1; }
collect() { grep -E '^[a-z0-9_.]+=' "$1" >>"$RESULTS" || true; }

# ---------------------------------------------------------------------------------------------- PostgreSQL
PG_BIN=""
PG_DIR=""
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$PG_DIR" && -d "$PG_DIR" ]]; then
    if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
      as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    log "PostgreSQL stopped and $PG_DIR removed"
  fi
  log "logs and results are in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  PG_BIN=$(find_pg_bin) || die "PostgreSQL (initdb, pg_ctl) is not installed"
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  PG_DIR=$(mktemp -d /tmp/omi-bench-p8-postgres.XXXXXX)
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PG_DIR"
  chmod 700 "$PG_DIR"
  as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    die "initdb failed"
  }
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 300
EOF
  PORT=$PG_PORT
  while :; do
    ((PORT < PG_PORT + 100)) || die "no free port in $PG_PORT..$PORT"
    if ! port_in_use "$PORT"; then
      if as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -o "-p $PORT" -w -t 60 \
        start >/dev/null; then
        break
      fi
      grep -q 'could not bind' "$PG_DIR/postgres.log" || {
        cat "$PG_DIR/postgres.log" >&2
        die "PostgreSQL did not start"
      }
    fi
    PORT=$((PORT + 1))
  done
  ADMIN_URL="postgres://postgres@127.0.0.1:$PORT"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
}

sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -c "$2"; }

# ---------------------------------------------------------------------------------------------- the server
# start_server STORE NAME: a server on a fresh data directory ($WORK/NAME) and, for postgres, a fresh database NAME.
start_server() {
  local store=$1 name=$2
  DATA="$WORK/$name"
  mkdir -p "$DATA"
  if [[ "$store" == postgres ]]; then
    sql postgres "CREATE DATABASE $name"
    DB_URL="$ADMIN_URL/$name"
  else
    DB_URL=""
  fi
  DATABASE_URL="$DB_URL" OMI_BIND=127.0.0.1:0 OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" \
    OMI_SEARCH_RATE_PER_HOUR=0 OMI_CHAT_RATE_PER_HOUR=0 RUST_LOG=warn \
    "$SERVER" >"$DATA/server.out" 2>"$DATA/server.err" &
  SERVER_PID=$!
  local waited=0
  until grep -q 'listening on http://' "$DATA/server.out" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || {
      cat "$DATA/server.err" >&2
      die "the server exited"
    }
    sleep 0.2
    waited=$((waited + 1))
    ((waited < 300)) || die "the server did not start within 60 s"
  done
  SERVER_URL=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$DATA/server.out" | head -n1)
  [[ "$store" == postgres ]] || DB_URL="sqlite://$DATA/omi.db"
  log "server $SERVER_URL (pid $SERVER_PID, $store)"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

token() { OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" "$SERVER" token --uid "$1"; }

run_p8() { # run_p8 STORE
  local store=$1 label="p8_$1"
  start_server "$store" omi_p8_"$store"
  local p8=("$BENCH" p8 --url "$SERVER_URL" --token "$(token bench-p8-user)" --uid bench-p8-user
    --database-url "$DB_URL" --conversations "$P8_CONVERSATIONS" --queries "$P8_QUERIES"
    --requests "$P8_REQUESTS" --warmup "$P8_WARMUP" --chat "$P9_CHAT" --label "$label")
  result "$label.command" "$(sed 's/--token [^ ]*/--token "$(omi-server token --uid bench-p8-user)"/' <<<"${p8[*]}")"
  "${p8[@]}" | tee "$WORK/$label.out"
  collect "$WORK/$label.out"
  stop_server
}

report() {
  echo
  echo "== omi-server benchmark P8: conversation search =="
  echo "machine:   $(machine)"
  echo "build:     $(get build.commit) ($BUILD_PROFILE), omi-server built $(get build.binary_time)"
  local store label
  for store in $STORES; do
    label="p8_$store"
    [[ -n "$(get "$label.ratio_p99")" ]] || continue
    echo
    echo "P8 [$store]  $(get "$label.conversations") conversations, $(get "$label.queries") queries" \
      "($(get "$label.hits_per_query") hits on the first page on average), $(get "$label.requests") requests each way"
    printf '    %-44s p50 %8s ms   p99 %8s ms\n' "POST /v1/conversations/search" \
      "$(get "$label.http_p50_ms")" "$(get "$label.http_p99_ms")"
    printf '    %-44s p50 %8s ms   p99 %8s ms\n' "the index statement (sqlx, pooled)" \
      "$(get "$label.raw_p50_ms")" "$(get "$label.raw_p99_ms")"
    printf '    %-44s %s   (target <= 3: %s)\n' "p99 ratio" "$(get "$label.ratio_p99")" \
      "$(awk -v r="$(get "$label.ratio_p99")" 'BEGIN {print (r <= 3) ? "met" : "MISSED"}')"
    [[ -n "$(get "$label.chat_first_chunk_p99_ms")" ]] || continue
    echo "P9 [$store]  $(get "$label.chat_requests") chat questions (offline answerer) on the same data"
    printf '    %-44s p50 %8s ms   p99 %8s ms   (target p99 <= 100: %s)\n' "POST /v2/messages, first chunk" \
      "$(get "$label.chat_first_chunk_p50_ms")" "$(get "$label.chat_first_chunk_p99_ms")" \
      "$(awk -v r="$(get "$label.chat_first_chunk_p99_ms")" 'BEGIN {print (r <= 100) ? "met" : "MISSED"}')"
    printf '    %-44s p50 %8s ms   p99 %8s ms   ratio %s\n' "baseline: the search statement" \
      "$(get "$label.chat_raw_p50_ms")" "$(get "$label.chat_raw_p99_ms")" "$(get "$label.chat_ratio_p99")"
  done
  echo
  echo "raw results: $RESULTS"
}

log "machine: $(machine)"
if [[ "${NO_BUILD:-}" == 1 && -x "$SERVER" && -x "$BENCH" ]]; then
  log "NO_BUILD=1: using the existing $SERVER and $BENCH"
elif [[ "$BUILD_PROFILE" == release ]]; then
  log "building release binaries (cargo build --release -p omi-api -p omi-bench)"
  (cd "$ROOT" && cargo build --release -p omi-api -p omi-bench)
else
  (cd "$ROOT" && cargo build --profile "$BUILD_PROFILE" -p omi-api -p omi-bench)
fi
result build.binary_time "$(date -u -r "$SERVER" +%Y-%m-%dT%H:%MZ)"
result build.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || echo ' + uncommitted changes')"
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

for store in $STORES; do
  [[ "$store" != postgres || -n "$PG_DIR" ]] || start_postgres
  run_p8 "$store"
done
report | tee "$WORK/report.txt"
