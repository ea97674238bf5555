#!/usr/bin/env bash
# P3 and P4 of BENCHMARKS.md, end to end on a fresh machine:
#
#   bash bench/run-p3-p4.sh
#
# builds the release binaries, starts a throwaway PostgreSQL (as bench/run.sh does; port 54600 or the next free
# one, pinned to CPU 1, stopped and removed on exit), and for each store (SQLite, the embedded default, and
# PostgreSQL) runs
#
#   P3  GET /v1/conversations?limit=100 for a user with 10,000 imported and processed conversations, 500 requests
#       after 50 warm-up, interleaved one for one with the read model's list statement run directly (sqlx, pooled
#       connection) on the same database;
#   P4  concurrent /v4/listen sessions (custom STT, pcm16 16 kHz in real time, a new segment every ~2 s) in steps
#       of P4_STEPS sessions, 30 s measured per step, with the server pinned to CPU 0 (`taskset -c 0`) and the
#       load generator (and PostgreSQL) on CPU 1;
#
# and prints a results table. Logs and raw `name=value` results stay in the work directory it prints.
#
# Settings (environment): STORES ("sqlite postgres"), ONLY (p3 or p4), P3_CONVERSATIONS (10000), P3_REQUESTS (500),
# P3_WARMUP (50), P4_STEPS (100,250,500,1000,1500), P4_SECONDS (30), P4_RAMP_RATE (100 sessions/s),
# P4_SEGMENT_MS (2000: mean time between a session's segments; 0 streams audio only),
# PG_PORT (54600), NO_BUILD (1: use the binaries in target/release), QUIET_WAIT (300: wait up to this many
# seconds for an idle machine before each measurement), PERF (1: `perf record` the server during P4 and print its
# top symbols).
set -euo pipefail

STORES=${STORES:-sqlite postgres}
ONLY=${ONLY:-}
P3_CONVERSATIONS=${P3_CONVERSATIONS:-10000}
P3_REQUESTS=${P3_REQUESTS:-500}
P3_WARMUP=${P3_WARMUP:-50}
P4_STEPS=${P4_STEPS:-100,250,500,1000,1500}
P4_SECONDS=${P4_SECONDS:-30}
P4_RAMP_RATE=${P4_RAMP_RATE:-100}
P4_SEGMENT_MS=${P4_SEGMENT_MS:-2000}
PG_PORT=${PG_PORT:-54600}
QUIET_WAIT=${QUIET_WAIT:-300}
PERF=${PERF:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SERVER="$ROOT/target/release/omi-server"
BENCH="$ROOT/target/release/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench-p34.XXXXXX)
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
PG_PID=""
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
  PG_DIR=$(mktemp -d /tmp/omi-bench-p34-postgres.XXXXXX)
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PG_DIR"
  chmod 700 "$PG_DIR"
  as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    die "initdb failed"
  }
  # Stock settings otherwise; enough connections for the server's pool and the benchmark's.
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 300
EOF
  PORT=$PG_PORT
  while :; do
    ((PORT < PG_PORT + 100)) || die "no free port in $PG_PORT..$PORT"
    if ! port_in_use "$PORT"; then
      # Pinned to CPU 1 with the load generators; its backends inherit the affinity.
      if as_pg_owner taskset -c 1 "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -o "-p $PORT" \
        -w -t 60 start >/dev/null; then
        break
      fi
      grep -q 'could not bind' "$PG_DIR/postgres.log" || {
        cat "$PG_DIR/postgres.log" >&2
        die "PostgreSQL did not start"
      }
    fi
    PORT=$((PORT + 1))
  done
  PG_PID=$(head -n1 "$PG_DIR/data/postmaster.pid")
  ADMIN_URL="postgres://postgres@127.0.0.1:$PORT"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (postmaster $PG_PID)"
}

sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -c "$2"; }

# ---------------------------------------------------------------------------------------------- the server
# start_server STORE NAME [PIN...]: a server on a fresh data directory ($WORK/NAME) and, for postgres, a fresh
# database NAME; PIN is a command prefix such as `taskset -c 0`.
start_server() {
  local store=$1 name=$2
  shift 2
  DATA="$WORK/$name"
  mkdir -p "$DATA"
  if [[ "$store" == postgres ]]; then
    sql postgres "CREATE DATABASE $name"
    DB_URL="$ADMIN_URL/$name"
  else
    DB_URL=""
  fi
  DATABASE_URL="$DB_URL" OMI_BIND=127.0.0.1:0 OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" \
    "$@" "$SERVER" >"$DATA/server.out" 2>"$DATA/server.err" &
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
  log "server $SERVER_URL (pid $SERVER_PID, $store${*:+, $*})"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

token() { OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" "$SERVER" token --uid "$1"; }

pg_args() { [[ "$1" != postgres ]] || echo "--pg-pid $PG_PID"; }

# ---------------------------------------------------------------------------------------------- P3
run_p3() { # run_p3 STORE
  local store=$1 label="p3_$1"
  start_server "$store" omi_p3_"$store"
  local p3=("$BENCH" p3 --url "$SERVER_URL" --token "$(token bench-p3-user)" --uid bench-p3-user
    --database-url "$DB_URL" --conversations "$P3_CONVERSATIONS" --requests "$P3_REQUESTS" --warmup "$P3_WARMUP"
    --server-pid "$SERVER_PID" --quiet-wait "$QUIET_WAIT" --label "$label" $(pg_args "$store"))
  result "$label.command" "$(sed 's/--token [^ ]*/--token "$(omi-server token --uid bench-p3-user)"/' <<<"${p3[*]}")"
  "${p3[@]}" | tee "$WORK/$label.out"
  collect "$WORK/$label.out"
  stop_server
}

# ---------------------------------------------------------------------------------------------- P4
run_p4() { # run_p4 STORE
  local store=$1 label="p4_$1"
  start_server "$store" omi_p4_"$store" taskset -c 0
  "$BENCH" quiet --max-wait "$QUIET_WAIT"
  # A `top` snapshot of the server (threads) every 20 s, for what dominates at each step.
  (top -b -H -d 20 -w 200 -p "$SERVER_PID" >"$WORK/$label-top.txt" 2>/dev/null) &
  local top_pid=$!
  local perf_pid=""
  if [[ "$PERF" == 1 ]] && command -v perf >/dev/null; then
    # The server's stacks over the whole P4 run (all steps; the larger ones dominate the samples).
    perf record -F 199 -g -p "$SERVER_PID" -o "$WORK/$label.perf.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  local p4=(taskset -c 1 "$BENCH" p4 --url "$SERVER_URL" --server "$SERVER" --steps "$P4_STEPS"
    --seconds "$P4_SECONDS" --ramp-rate "$P4_RAMP_RATE" --segment-ms "$P4_SEGMENT_MS" --server-pid "$SERVER_PID" --label "$label"
    $(pg_args "$store"))
  result "$label.command" "${p4[*]}"
  OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" "${p4[@]}" | tee "$WORK/$label.out"
  collect "$WORK/$label.out"
  kill "$top_pid" 2>/dev/null || true
  wait "$top_pid" 2>/dev/null || true
  if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$WORK/$label.perf.data" --no-children -g none --sort dso,symbol --stdio 2>/dev/null |
      grep -v '^#' | grep '%' | head -n 40 >"$WORK/$label-perf.txt" || true
  fi
  stop_server
}

# ---------------------------------------------------------------------------------------------- report
report() {
  echo
  echo "== omi-server benchmarks P3, P4 =="
  echo "machine:   $(machine)"
  echo "build:     $(get build.commit), omi-server built $(get build.binary_time)"
  echo "load:      load average at start $(get machine.loadavg); open files limit $(ulimit -n)"
  local store label
  for store in $STORES; do
    label="p3_$store"
    [[ -n "$(get "$label.http_p99_ms")" ]] || continue
    echo
    echo "P3 [$store]  GET /v1/conversations?limit=$(get "$label.limit"), user with $(get "$label.conversations")" \
      "conversations, $(get "$label.requests") requests after $(get "$label.warmup") warm-up (load $(get "$label.loadavg"))"
    printf '    %-40s p50 %8s ms   p99 %8s ms   (%s B)\n' "GET /v1/conversations (keep-alive)" \
      "$(get "$label.http_p50_ms")" "$(get "$label.http_p99_ms")" "$(get "$label.response_bytes")"
    printf '    %-40s p50 %8s ms   p99 %8s ms   (%s B of list_doc)\n' "raw list statement (sqlx, pooled)" \
      "$(get "$label.raw_p50_ms")" "$(get "$label.raw_p99_ms")" "$(get "$label.raw_bytes")"
    printf '    %-40s p50 %8s      p99 %8s      (target p99 <= 3: %s)\n' "ratio" "$(get "$label.ratio_p50")" \
      "$(get "$label.ratio_p99")" "$(awk -v r="$(get "$label.ratio_p99")" 'BEGIN {print (r <= 3) ? "met" : "MISSED"}')"
    echo "    data: imported $(get "$label.imported") in $(get "$label.import_s") s, processing done" \
      "$(get "$label.processing_wait_s") s later"
  done
  for store in $STORES; do
    label="p4_$store"
    [[ -n "$(get "$label.reached")" ]] || continue
    echo
    echo "P4 [$store]  /v4/listen sessions, custom STT, pcm16 16 kHz real time, server on CPU 0, load generator on CPU 1;" \
      "latency (ms) = send of suggested_transcript -> receipt of the array holding the segment"
    printf '    %8s %6s %9s %9s %9s %9s %9s %8s %7s %8s %s\n' sessions alive "lat p50" "lat p90" "lat p99" \
      "lat max" answered audio server loadgen "per-CPU busy"
    local n
    for n in ${P4_STEPS//,/ }; do
      local p="$label.s$n"
      [[ -n "$(get "$p.sessions")" ]] || continue
      printf '    %8s %6s %9s %9s %9s %9s %9s %8s %7s %8s %s\n' "$n" "$(get "$p.sessions")" \
        "$(get "$p.latency_p50_ms")" "$(get "$p.latency_p90_ms")" "$(get "$p.latency_p99_ms")" \
        "$(get "$p.latency_max_ms")" "$(get "$p.segments_answered")/$(get "$p.segments_sent")" \
        "$(get "$p.audio_rate")" "$(get "$p.cpu.server_cores")" "$(get "$p.cpu.loadgen_cores")" \
        "$(get "$p.cpu.per_cpu_busy")"
    done
    echo "    connect failures $(get "$label.connect_failures"), sessions dropped $(get "$label.dropped")" \
      "$(get "$label.first_error")"
    [[ ! -s "$WORK/$label-perf.txt" ]] || {
      echo "    perf (server, whole P4 run, top symbols):"
      sed -n '1,25s/^/      /p' "$WORK/$label-perf.txt"
    }
  done
  echo
  echo "commands:"
  grep -E '^p[34]_[a-z]+\.command=' "$RESULTS" | sed 's/^/  /'
  echo
  echo "raw results: $RESULTS; top snapshots: $WORK/p4_*-top.txt"
}

# ---------------------------------------------------------------------------------------------- main
log "machine: $(machine); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "${NO_BUILD:-}" == 1 && -x "$SERVER" && -x "$BENCH" ]]; then
  log "NO_BUILD=1: using the existing $SERVER and $BENCH"
else
  log "building release binaries (cargo build --release -p omi-api -p omi-bench)"
  # target/ is shared between worktrees and cargo only copies a binary to target/release when it relinks it: a
  # binary built last by another worktree (or an edit cargo judged older than its last build) would otherwise be
  # the one measured. Touching the two binaries' roots makes cargo relink both from this checkout.
  touch "$ROOT/api/src/main.rs" "$ROOT/bench/src/main.rs"
  (cd "$ROOT" && cargo build --release -p omi-api -p omi-bench)
fi
result build.binary_time "$(date -u -r "$SERVER" +%Y-%m-%dT%H:%MZ)"
mkdir -p "$WORK/bin"
cp "$SERVER" "$BENCH" "$WORK/bin/"
SERVER="$WORK/bin/omi-server"
BENCH="$WORK/bin/omi-bench"
result build.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || echo ' + uncommitted changes')"
result machine.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
# Two sockets per session (client and server side, in two processes), plus the database's files.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
[[ " $STORES " != *" postgres "* ]] || start_postgres
for store in $STORES; do
  if [[ -z "$ONLY" || "$ONLY" == p3 ]]; then run_p3 "$store"; fi
  if [[ -z "$ONLY" || "$ONLY" == p4 ]]; then run_p4 "$store"; fi
done
report | tee "$WORK/report.txt"
