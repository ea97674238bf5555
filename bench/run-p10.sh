#!/usr/bin/env bash
# P10 of BENCHMARKS.md: webhook deliveries, end to end.
#
#   bash bench/run-p10.sh
#
# builds the release binaries, starts a throwaway PostgreSQL (port 55000 or the next free one, stopped and
# removed on exit) and, for each store (SQLite, the embedded default, and PostgreSQL), starts a fresh server with
# OMI_WEBHOOK_ALLOW_PRIVATE=1 and runs `omi-bench p10` three times: with P10_APPS `memory_creation` apps enabled by one
# user and P10_CONVERSATIONS conversations (P10_APPS x P10_CONVERSATIONS deliveries), and with the user's
# developer webhook and P10_DEV_CONVERSATIONS conversations; between them, paced: the P10_APPS apps and
# P10_PACED_CONVERSATIONS conversations imported one every P10_INTERVAL_MS (a load the server keeps up with, so the
# latency is not a queue's; 0 conversations skips it). Each reports deliveries per second against POSTs
# sent straight to the same receiver in the same run, and p50/p99 from an import's answer to each delivery's
# first attempt (target p99 <= 1 s).
#
# Settings (environment): STORES ("sqlite postgres"), P10_APPS (1000), P10_CONVERSATIONS (20),
# P10_DEV_CONVERSATIONS (200), P10_CONCURRENCY (8), P10_PACED_CONVERSATIONS (5), P10_INTERVAL_MS (5000),
# PG_PORT (55000), NO_BUILD (1: use the binaries in target/release), BUILD_PROFILE (release; debug checks the
# benchmark itself at a small scale).
set -euo pipefail

STORES=${STORES:-sqlite postgres}
P10_APPS=${P10_APPS:-1000}
P10_CONVERSATIONS=${P10_CONVERSATIONS:-20}
P10_DEV_CONVERSATIONS=${P10_DEV_CONVERSATIONS:-200}
P10_CONCURRENCY=${P10_CONCURRENCY:-8}
P10_PACED_CONVERSATIONS=${P10_PACED_CONVERSATIONS:-5}
P10_INTERVAL_MS=${P10_INTERVAL_MS:-5000}
PG_PORT=${PG_PORT:-55000}
BUILD_PROFILE=${BUILD_PROFILE:-release}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SERVER="$ROOT/target/$BUILD_PROFILE/omi-server"
BENCH="$ROOT/target/$BUILD_PROFILE/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench-p10.XXXXXX)
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
  PG_DIR=$(mktemp -d /tmp/omi-bench-p10-postgres.XXXXXX)
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
    OMI_WEBHOOK_ALLOW_PRIVATE=1 RUST_LOG=warn \
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

run_p10() { # run_p10 STORE KIND (apps or developer)
  local store=$1 kind=$2 label="p10_$1_$2"
  start_server "$store" omi_p10_"$store"_"$kind"
  local p10=("$BENCH" p10 --url "$SERVER_URL" --token "$(token bench-p10-user)" --concurrency "$P10_CONCURRENCY"
    --label "$label")
  if [[ "$kind" == apps ]]; then
    p10+=(--apps "$P10_APPS" --conversations "$P10_CONVERSATIONS")
  elif [[ "$kind" == paced ]]; then
    p10+=(--apps "$P10_APPS" --conversations "$P10_PACED_CONVERSATIONS" --interval-ms "$P10_INTERVAL_MS")
  else
    p10+=(--conversations "$P10_DEV_CONVERSATIONS")
  fi
  result "$label.command" "$(sed 's/--token [^ ]*/--token "$(omi-server token --uid bench-p10-user)"/' <<<"${p10[*]}")"
  "${p10[@]}" | tee "$WORK/$label.out"
  collect "$WORK/$label.out"
  stop_server
}

report() {
  echo
  echo "== omi-server benchmark P10: webhook deliveries =="
  echo "machine:   $(machine)"
  echo "build:     $(get build.commit) ($BUILD_PROFILE), omi-server built $(get build.binary_time)"
  local store kind label
  for store in $STORES; do
    for kind in apps paced developer; do
      label="p10_${store}_$kind"
      [[ -n "$(get "${label}_deliveries")" ]] || continue
      echo
      echo "P10 [$store, $kind]  $(get "${label}_apps") apps, $(get "${label}_deliveries") deliveries"
      printf '    %-44s %10s /s\n' "deliveries received" "$(get "${label}_deliveries_per_second")"
      printf '    %-44s %10s /s   ratio %s\n' "baseline: POSTs straight to the receiver" \
        "$(get "${label}_baseline_posts_per_second")" "$(get "${label}_throughput_ratio")"
      printf '    %-44s p50 %8s ms   p99 %8s ms   (target p99 <= 1000: %s)\n' "import answered -> first attempt" \
        "$(get "${label}_first_attempt_p50_ms")" "$(get "${label}_first_attempt_p99_ms")" \
        "$(awk -v r="$(get "${label}_first_attempt_p99_ms")" 'BEGIN {print (r <= 1000) ? "met" : "MISSED"}')"
      printf '    %-44s %s\n' "webhook-ids received twice" "$(get "${label}_repeated_ids")"
    done
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
  run_p10 "$store" apps
  [[ "$P10_PACED_CONVERSATIONS" == 0 ]] || run_p10 "$store" paced
  run_p10 "$store" developer
done
report | tee "$WORK/report.txt"
