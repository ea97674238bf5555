#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md, end to end on a fresh machine:
# (P3 and P4 — conversation list latency, concurrent /v4/listen sessions — run from bench/run-p3-p4.sh.)
#
#   bash bench/run.sh
#
# builds the release binaries, starts a throwaway PostgreSQL (initdb as the `postgres` user in a temporary
# directory, port 54500 or the next free one, stopped and removed on exit), then runs
#
#   P1  POST /v1/memories from 64 concurrent clients (64 users, one token each) against pgbench doing one INSERT
#       of a row of the same byte size per transaction into a plain table, at the same concurrency;
#   P2  `omi-server replay` of 1,000,000 generated events into all read models against
#       `COPY (SELECT * FROM events) TO '/dev/null'` on the same data, and checks the read models;
#
# and prints a results table. Logs and raw `name=value` results stay in the work directory it prints.
#
# Settings (environment): P1_CLIENTS (64), P1_SECONDS (20), P1_WARMUP (5), P2_EVENTS (1000000), P2_USERS (3000),
# PG_PORT (54500), ONLY (p1 or p2 to run one benchmark; p8 runs bench/run-p8.sh, conversation search), NO_BUILD (1: use the binaries already in target/release),
# QUIET_WAIT (300: before each measurement, wait up to this many seconds for the machine to be idle, so that a
# shared machine's other work does not land in the numbers; the `other` CPU in the results shows what did),
# P1_WEBHOOKS (1: also run ours on a fresh database whose users each have their four developer webhooks and one
# `memory_creation` app enabled, at a receiver the load generator starts: P1 "with webhooks enabled"),
# P1_NOTIFY_DIAGNOSTIC (1: also run pgbench against a table with the events table's NOTIFY trigger, and ours
# once more with that trigger dropped),
# P2_BREAKDOWN (1: also replay each projection alone, to show where replay time goes),
# P2_KEEP (a directory: PostgreSQL's data directory lives there and survives the run; the first run keeps a copy
# of the loaded P2 database as omi_p2_loaded, later runs with the same P2_EVENTS/P2_USERS start from a fresh copy
# of it instead of generating and loading again; the generator still runs for the read-model check),
# P2_TAMPER (one SQL statement run on the read models after the replay and before their check, to see the check
# fail on a wrong field: e.g. P2_TAMPER="UPDATE memories SET scoring = 'x' WHERE id = (SELECT MIN(id) FROM memories)").
set -euo pipefail

P1_CLIENTS=${P1_CLIENTS:-64}
P1_SECONDS=${P1_SECONDS:-20}
P1_WARMUP=${P1_WARMUP:-5}
P2_EVENTS=${P2_EVENTS:-1000000}
P2_USERS=${P2_USERS:-3000}
PG_PORT=${PG_PORT:-54500}
ONLY=${ONLY:-}
QUIET_WAIT=${QUIET_WAIT:-300}
P1_NOTIFY_DIAGNOSTIC=${P1_NOTIFY_DIAGNOSTIC:-1}
P1_WEBHOOKS=${P1_WEBHOOKS:-1}
P2_BREAKDOWN=${P2_BREAKDOWN:-1}
P2_KEEP=${P2_KEEP:-}
P2_TAMPER=${P2_TAMPER:-}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# P8 (conversation search) has a script of its own, with its own settings.
if [[ "$ONLY" == p8 ]]; then exec bash "$ROOT/bench/run-p8.sh"; fi
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SERVER="$ROOT/target/release/omi-server"
BENCH="$ROOT/target/release/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench.XXXXXX)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------- machine

# ---------------------------------------------------------------------------------------------- PostgreSQL
PG_BIN=""
PG_DIR=""
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  # The binaries' copies (~270 MB a run) go; the logs and results stay.
  rm -rf "$WORK/bin"
  if [[ -n "$PG_DIR" && -d "$PG_DIR" ]]; then
    if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
      as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$P2_KEEP" ]]; then
      log "PostgreSQL stopped, its data kept in $PG_DIR (P2_KEEP); logs and results are in $WORK"
    else
      rm -rf "$PG_DIR"
      log "PostgreSQL stopped and $PG_DIR removed; logs and results are in $WORK"
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  PG_BIN=$(find_pg_bin) || die "PostgreSQL (initdb, pg_ctl) is not installed"
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  if [[ -n "$P2_KEEP" ]]; then
    PG_DIR=$P2_KEEP
    mkdir -p "$PG_DIR"
  else
    PG_DIR=$(mktemp -d /tmp/omi-bench-postgres.XXXXXX)
  fi
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [[ -n "$P2_KEEP" && -f "$PG_DIR/data/PG_VERSION" ]]; then
    log "P2_KEEP: reusing the PostgreSQL data directory $PG_DIR/data"
  else
    init_postgres
  fi
  listen_postgres
}

init_postgres() {
  as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    die "initdb failed"
  }
  # Defaults otherwise (shared_buffers 128MB, fsync and synchronous_commit on): a stock server.
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 300
EOF
}

listen_postgres() {
  # The first free port from PG_PORT on. A port can also be held by the local end of some client connection,
  # which only a failed bind reveals, so a start that cannot bind moves on to the next port.
  PORT=$PG_PORT
  while :; do
    ((PORT < PG_PORT + 100)) || die "no free port in $PG_PORT..$PORT"
    if ! port_in_use "$PORT"; then
      if as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -o "-p $PORT" -w -t 60 \
        start >"$WORK/pg_ctl.log" 2>&1; then
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
  PGBENCH="$PG_BIN/pgbench"
  [[ -x "$PGBENCH" ]] || PGBENCH=$(command -v pgbench) || [[ "$ONLY" == p2 ]] || die "pgbench is not installed"
  ADMIN_URL="postgres://postgres@127.0.0.1:$PORT"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (postmaster $PG_PID)"
}

sql() { # sql DATABASE STATEMENT: one value per line, no decoration
  "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -c "$2"
}

result() { echo "$1=$2" >>"$RESULTS"; }
get() { sed -n "s/^$1=//p" "$RESULTS" | tail -n1; }
collect() { grep -E '^[a-z0-9_.]+=' "$1" >>"$RESULTS" || true; }

# ---------------------------------------------------------------------------------------------- P1
start_server() { # start_server DATABASE
  local data="$WORK/server-data"
  mkdir -p "$data"
  # The developer-API run must measure the path, not the limiter refusing: limits are counted but not binding.
  # Webhooks may call the load generator's receiver on 127.0.0.1.
  DATABASE_URL="$ADMIN_URL/$1" OMI_BIND=127.0.0.1:0 OMI_DATA_DIR="$data" OMI_AUTH_SECRET="$AUTH_SECRET" \
    OMI_RATE_PER_KEY_PER_MINUTE=1000000000 OMI_RATE_PER_USER_PER_DAY=1000000000 OMI_WEBHOOK_ALLOW_PRIVATE=1 \
    "$SERVER" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  local waited=0
  until grep -q 'listening on http://' "$WORK/server.out" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || {
      cat "$WORK/server.err" >&2
      die "the server exited"
    }
    sleep 0.2
    waited=$((waited + 1))
    ((waited < 300)) || die "the server did not start within 60 s"
  done
  SERVER_URL=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/server.out" | head -n1)
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

top_snapshot() { # top_snapshot DELAY FILE: one `top` snapshot DELAY seconds from now, in the background
  (sleep "$1" && top -b -n1 -w 200 | head -n 17 >"$2") &
  TOP_PID=$!
}

percentiles() { # percentiles < NUMBERS: p50 and p99 (nearest rank) of a column of µs, in ms
  sort -n | awk '{a[NR]=$1} END {
    split("50 99", ps, " ");
    for (i = 1; i <= 2; i++) { r = ps[i] / 100 * NR; k = int(r); if (k < r) k++; if (k < 1) k = 1;
      printf "%.2f ", a[k] / 1000 }
    print "" }'
}

run_pgbench() { # run_pgbench LABEL TABLE: a warm-up run, then the measured run; results as LABEL.*
  local label=$1 table=$2
  echo "INSERT INTO $table (payload) VALUES (repeat('x', $PAD));" >"$WORK/$label.sql"
  local pgbench=("$PGBENCH" -n -c "$P1_CLIENTS" -j 2 -f "$WORK/$label.sql" -h 127.0.0.1 -p "$PORT" -U postgres)
  log "P1: $label — ${pgbench[*]} -T $P1_SECONDS omi_p1 (after a ${P1_WARMUP}s warm-up run)"
  "${pgbench[@]}" -T "$P1_WARMUP" omi_p1 >"$WORK/$label-warmup.out" 2>&1
  mkdir -p "$WORK/$label-log"
  "$BENCH" quiet --max-wait "$QUIET_WAIT"
  top_snapshot $((P1_SECONDS / 2)) "$WORK/$label-top.txt"
  "$BENCH" cpu --label "$label.cpu" --pg-pid "$PG_PID" -- \
    "${pgbench[@]}" -T "$P1_SECONDS" -l --log-prefix="$WORK/$label-log/tx" omi_p1 | tee "$WORK/$label.out"
  collect "$WORK/$label.out"
  wait "$TOP_PID"
  result "$label.command" "${pgbench[*]} -T $P1_SECONDS omi_p1"
  result "$label.script" "$(cat "$WORK/$label.sql")"
  result "$label.tps" "$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/$label.out" |
    awk '{printf "%.1f", $1}')"
  result "$label.latency_avg_ms" "$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/$label.out")"
  local p50 p99
  read -r p50 p99 < <(cat "$WORK/$label-log"/tx.* | awk '{print $3}' | percentiles)
  result "$label.p50_ms" "$p50"
  result "$label.p99_ms" "$p99"
  result "$label.row_bytes" "$(sql omi_p1 "SELECT ROUND(AVG(pg_column_size(b.*))) FROM $table b")"
}

run_p1() {
  log "P1: ours — POST /v1/memories, $P1_CLIENTS clients, ${P1_WARMUP}s warm-up + ${P1_SECONDS}s"
  sql postgres "CREATE DATABASE omi_p1"
  start_server omi_p1
  log "P1: server $SERVER_URL (pid $SERVER_PID); issuing $P1_CLIENTS tokens"
  : >"$WORK/tokens"
  : >"$WORK/dev-keys"
  for i in $(seq 1 "$P1_CLIENTS"); do
    local token
    token=$(DATABASE_URL="$ADMIN_URL/omi_p1" OMI_DATA_DIR="$WORK/server-data" OMI_AUTH_SECRET="$AUTH_SECRET" \
      "$SERVER" token --uid "bench-p1-user-$(printf %03d "$i")")
    echo "$token" >>"$WORK/tokens"
    # One developer key per user, for the run through the developer API.
    curl -sf -X POST "$SERVER_URL/v1/dev/keys" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"name": "bench", "scopes": ["memories:read", "memories:write"]}' |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])' >>"$WORK/dev-keys"
  done
  "$BENCH" quiet --max-wait "$QUIET_WAIT"
  top_snapshot $((P1_WARMUP + P1_SECONDS / 2)) "$WORK/p1-top.txt"
  local p1=("$BENCH" p1 --url "$SERVER_URL" --tokens "$WORK/tokens" --clients "$P1_CLIENTS"
    --seconds "$P1_SECONDS" --warmup "$P1_WARMUP")
  result p1.command "${p1[*]}"
  "$BENCH" cpu --label p1.cpu --pg-pid "$PG_PID" --pid "$SERVER_PID" -- "${p1[@]}" | tee "$WORK/p1.out"
  collect "$WORK/p1.out"
  wait "$TOP_PID"
  # The same load through the developer API: POST /v1/dev/user/memories, one omi_dev_ key per client.
  "$BENCH" quiet --max-wait "$QUIET_WAIT"
  local p1dev=("$BENCH" p1 --url "$SERVER_URL" --tokens "$WORK/dev-keys" --clients "$P1_CLIENTS"
    --seconds "$P1_SECONDS" --warmup "$P1_WARMUP" --label p1dev --path /v1/dev/user/memories)
  result p1dev.command "${p1dev[*]}"
  "$BENCH" cpu --label p1dev.cpu --pg-pid "$PG_PID" --pid "$SERVER_PID" -- "${p1dev[@]}" | tee "$WORK/p1dev.out"
  collect "$WORK/p1dev.out"
  stop_server

  if [[ "$P1_WEBHOOKS" == 1 ]]; then
    # Ours again on a fresh database, every user with its webhooks enabled (see bench/src/p1.rs).
    sql postgres "CREATE DATABASE omi_p1_hooks"
    start_server omi_p1_hooks
    log "P1: ours with webhooks enabled, server $SERVER_URL (pid $SERVER_PID)"
    : >"$WORK/hook-tokens"
    for i in $(seq 1 "$P1_CLIENTS"); do
      DATABASE_URL="$ADMIN_URL/omi_p1_hooks" OMI_DATA_DIR="$WORK/server-data" OMI_AUTH_SECRET="$AUTH_SECRET" \
        "$SERVER" token --uid "bench-p1-user-$(printf %03d "$i")" >>"$WORK/hook-tokens"
    done
    "$BENCH" quiet --max-wait "$QUIET_WAIT"
    local p1h=("$BENCH" p1 --url "$SERVER_URL" --tokens "$WORK/hook-tokens" --clients "$P1_CLIENTS"
      --seconds "$P1_SECONDS" --warmup "$P1_WARMUP" --label p1hooks --webhooks true)
    result p1hooks.command "${p1h[*]}"
    "$BENCH" cpu --label p1hooks.cpu --pg-pid "$PG_PID" --pid "$SERVER_PID" -- "${p1h[@]}" | tee "$WORK/p1hooks.out"
    collect "$WORK/p1hooks.out"
    stop_server
  fi

  # Every successful request of both runs appended exactly one memory event.
  result p1.events_in_log "$(sql omi_p1 "SELECT COUNT(*) FROM events WHERE aggregate_type = 'Memory'")"
  if [[ "$(get p1.events_in_log)" == "$(($(get p1.ok_total) + $(get p1dev.ok_total)))" ]]; then
    result p1.log_check ok
  else
    result p1.log_check "MISMATCH: $(get p1.ok_total) + $(get p1dev.ok_total) successful requests, $(get p1.events_in_log) events"
    log "P1: $(get p1.log_check)"
  fi
  result p1.event_row_bytes "$(sql omi_p1 "SELECT ROUND(AVG(pg_column_size(e.*))) FROM events e WHERE aggregate_type = 'Memory'")"
  result p1.event_json_bytes \
    "$(sql omi_p1 "SELECT ROUND(AVG(octet_length(payload::text) + octet_length(metadata::text))) FROM events")"

  # pgbench: one INSERT per transaction of a row of the same stored size as our event rows, into a plain table
  # (an identity primary key and the payload).
  sql omi_p1 "CREATE TABLE bench_rows (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload TEXT NOT NULL)"
  PAD=$(($(get p1.event_row_bytes) - $(sql omi_p1 "SELECT pg_column_size(ROW(1::bigint, ''::text))")))
  run_pgbench pgbench bench_rows
  if [[ "$P1_NOTIFY_DIAGNOSTIC" == 1 ]]; then
    # Diagnostic, not the baseline: the same INSERT into a table carrying the events table's statement trigger
    # (pg_notify on every append), to show what that trigger alone costs at this concurrency.
    sql omi_p1 "CREATE TABLE bench_rows_notify (LIKE bench_rows INCLUDING ALL)"
    sql omi_p1 "CREATE TRIGGER bench_rows_notify_announce AFTER INSERT ON bench_rows_notify
                FOR EACH STATEMENT EXECUTE FUNCTION omi_announce_append()"
    run_pgbench pgbench_notify bench_rows_notify
    # Diagnostic: ours again, same database, with the events table's NOTIFY trigger dropped (a single server
    # wakes its own projector in-process; the trigger serves other processes), to show what it costs ours.
    sql omi_p1 "DROP TRIGGER events_announce_append ON events"
    start_server omi_p1
    log "P1: ours without the NOTIFY trigger (diagnostic), server $SERVER_URL (pid $SERVER_PID)"
    "$BENCH" quiet --max-wait "$QUIET_WAIT"
    local p1n=("$BENCH" p1 --url "$SERVER_URL" --tokens "$WORK/tokens" --clients "$P1_CLIENTS"
      --seconds "$P1_SECONDS" --warmup "$P1_WARMUP" --label p1_no_notify)
    result p1_no_notify.command "${p1n[*]} (after DROP TRIGGER events_announce_append ON events)"
    "$BENCH" cpu --label p1_no_notify.cpu --pg-pid "$PG_PID" --pid "$SERVER_PID" -- "${p1n[@]}" |
      tee "$WORK/p1_no_notify.out"
    collect "$WORK/p1_no_notify.out"
    stop_server
  fi
  result p1.ratio "$(awk -v a="$(get p1.rps)" -v b="$(get pgbench.tps)" 'BEGIN {printf "%.3f", a / b}')"
  if [[ -n "$(get p1hooks.rps)" ]]; then
    result p1hooks.ratio "$(awk -v a="$(get p1hooks.rps)" -v b="$(get pgbench.tps)" 'BEGIN {printf "%.3f", a / b}')"
  fi
}

# ---------------------------------------------------------------------------------------------- P2
run_p2() {
  log "P2: replay of $P2_EVENTS events ($P2_USERS users) vs COPY TO /dev/null"
  local keep=()
  if [[ -n "$P2_KEEP" ]]; then
    sql postgres "DROP DATABASE IF EXISTS omi_p2"
    if [[ "$(sql postgres "SELECT COUNT(*) FROM pg_database WHERE datname = 'omi_p2_loaded'")" == 1 ]]; then
      log "P2_KEEP: omi_p2 is a fresh copy of omi_p2_loaded"
      sql postgres "CREATE DATABASE omi_p2 TEMPLATE omi_p2_loaded STRATEGY = FILE_COPY"
      keep=(--reuse true)
    else
      sql postgres "CREATE DATABASE omi_p2"
      keep=(--keep-loaded omi_p2_loaded)
    fi
  else
    sql postgres "CREATE DATABASE omi_p2"
  fi
  local p2=("$BENCH" p2 --database-url "$ADMIN_URL/omi_p2" --server "$SERVER" --events "$P2_EVENTS"
    --users "$P2_USERS" --pg-pid "$PG_PID" --quiet-wait "$QUIET_WAIT"
    --breakdown "$([[ "$P2_BREAKDOWN" == 1 ]] && echo true || echo false)" "${keep[@]}")
  if [[ -n "$P2_TAMPER" ]]; then
    p2+=(--tamper "$P2_TAMPER")
  fi
  result p2.command "${p2[*]}"
  DATABASE_URL="" OMI_DATA_DIR="$WORK/server-data" OMI_AUTH_SECRET="$AUTH_SECRET" "${p2[@]}" | tee "$WORK/p2.out" ||
    log "P2 failed (see above)"
  collect "$WORK/p2.out"
}

# ---------------------------------------------------------------------------------------------- report
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r + 0 >= t) ? "target met" : "TARGET MISSED"}'; }

report() {
  echo
  echo "== omi-server benchmarks =="
  echo "machine:    $(machine)"
  echo "build:      $(get build.commit), omi-server built $(get build.binary_time)"
  echo "postgres:   $("$PG_BIN/postgres" --version), stock settings (fsync, synchronous_commit on," \
    "shared_buffers $(sql postgres 'SHOW shared_buffers'))"
  echo "note:       load generator, server and PostgreSQL share these $(nproc) cores;" \
    "load average at start $(get machine.loadavg) (\"other\" below = CPU used by anything else, kernel included)"
  if [[ -z "$ONLY" || "$ONLY" == p1 ]]; then
    echo
    echo "P1  POST /v1/memories, $(get p1.clients) clients, $(get p1.users) users, ${P1_SECONDS}s after ${P1_WARMUP}s warm-up"
    printf '    %-34s %10s req/s   p50 %7s ms   p99 %7s ms   errors %s\n' "ours (omi-bench p1)" \
      "$(get p1.rps)" "$(get p1.p50_ms)" "$(get p1.p99_ms)" "$(get p1.errors)"
    printf '    %-34s %10s ins/s   p50 %7s ms   p99 %7s ms\n' "pgbench INSERT ($(get pgbench.row_bytes) B rows)" \
      "$(get pgbench.tps)" "$(get pgbench.p50_ms)" "$(get pgbench.p99_ms)"
    if [[ -n "$(get pgbench_notify.tps)" ]]; then
      printf '    %-34s %10s ins/s   p50 %7s ms   p99 %7s ms\n' "diagnostic: same + NOTIFY trigger" \
        "$(get pgbench_notify.tps)" "$(get pgbench_notify.p50_ms)" "$(get pgbench_notify.p99_ms)"
    fi
    if [[ -n "$(get p1_no_notify.rps)" ]]; then
      printf '    %-34s %10s req/s   p50 %7s ms   p99 %7s ms   errors %s\n' "diagnostic: ours, trigger dropped" \
        "$(get p1_no_notify.rps)" "$(get p1_no_notify.p50_ms)" "$(get p1_no_notify.p99_ms)" \
        "$(get p1_no_notify.errors)"
    fi
    printf '    %-34s %10s         (target >= 0.5: %s)\n' "ratio ours/pgbench" "$(get p1.ratio)" \
      "$(verdict "$(get p1.ratio)" 0.5)"
    if [[ -n "$(get p1hooks.rps)" ]]; then
      printf '    %-34s %10s req/s   p50 %7s ms   p99 %7s ms   errors %s\n' "ours, webhooks enabled" \
        "$(get p1hooks.rps)" "$(get p1hooks.p50_ms)" "$(get p1hooks.p99_ms)" "$(get p1hooks.errors)"
      printf '    %-34s %10s         (target >= 0.5: %s; %s deliveries caused)\n' "ratio ours with webhooks/pgbench" \
        "$(get p1hooks.ratio)" "$(verdict "$(get p1hooks.ratio)" 0.5)" "$(get p1hooks.deliveries)"
      echo "    CPU (cores) during ours with webhooks: server $(get p1hooks.cpu.server_cores)," \
        "postgres $(get p1hooks.cpu.postgres_cores), load generator $(get p1hooks.cpu.command_cores)," \
        "other $(get p1hooks.cpu.other_cores), idle $(get p1hooks.cpu.machine_idle_cores)"
    fi
    echo "    event row $(get p1.event_row_bytes) B (payload+metadata JSON $(get p1.event_json_bytes) B);" \
      "$(get p1.events_in_log) events in the log for $(get p1.ok_total) successful requests ($(get p1.log_check))"
    echo "    CPU (cores) during ours:    server $(get p1.cpu.server_cores), postgres $(get p1.cpu.postgres_cores)," \
      "load generator $(get p1.cpu.command_cores), other $(get p1.cpu.other_cores), idle $(get p1.cpu.machine_idle_cores)," \
      "iowait $(get p1.cpu.machine_iowait_cores)"
    if [[ -n "$(get p1_no_notify.rps)" ]]; then
      echo "    CPU (cores) during ours without trigger: server $(get p1_no_notify.cpu.server_cores)," \
        "postgres $(get p1_no_notify.cpu.postgres_cores), load generator $(get p1_no_notify.cpu.command_cores)," \
        "other $(get p1_no_notify.cpu.other_cores), idle $(get p1_no_notify.cpu.machine_idle_cores)"
    fi
    echo "    CPU (cores) during pgbench: postgres $(get pgbench.cpu.postgres_cores)," \
      "pgbench $(get pgbench.cpu.command_cores), other $(get pgbench.cpu.other_cores), idle $(get pgbench.cpu.machine_idle_cores)," \
      "iowait $(get pgbench.cpu.machine_iowait_cores)"
  fi
  if [[ -z "$ONLY" || "$ONLY" == p2 ]]; then
    echo
    echo "P2  $(get p2.events) events ($(get p2.memory_events) memory, $(get p2.action_item_events) action item," \
      "$(get p2.conversation_events) conversation, $(get p2.api_key_events) API key)," \
      "$(get p2.users) users, table $(get p2.table_mb) MB ($(get p2.avg_row_bytes) B/row)"
    printf '    %-34s %10s ev/s    %7s s\n' "omi-server replay" "$(get p2.replay_eps)" "$(get p2.replay_s)"
    printf '    %-34s %10s ev/s    %7s s   (median of %s)\n' "COPY (SELECT * FROM events) TO /dev/null" \
      "$(get p2.copy_eps)" "$(get p2.copy_s)" "$(get p2.copy_runs_s)"
    printf '    %-34s %10s         (target >= 0.3: %s)\n' "ratio replay/COPY" "$(get p2.ratio)" \
      "$(verdict "$(get p2.ratio)" 0.3)"
    echo "    read models verified, every field of every row: $(get p2.verified) ($(get p2.live_memories) memories," \
      "$(get p2.live_action_items) action items, $(get p2.live_conversations) conversations," \
      "$(get p2.live_api_keys) API keys; check took $(get p2.verify_s) s)"
    echo "    CPU (cores) during replay: replay process $(get p2.replay_cpu.replay_cores)," \
      "postgres $(get p2.replay_cpu.postgres_cores), other $(get p2.replay_cpu.other_cores), idle $(get p2.replay_cpu.machine_idle_cores)," \
      "iowait $(get p2.replay_cpu.machine_iowait_cores)"
  fi
  if grep -q '^p2\.only\..*\.s=' "$RESULTS"; then
    echo "    each projection replayed alone (into a fresh copy of the database as loaded):"
    local name
    for name in $(sed -n 's/^p2\.only\.\(.*\)\.s=.*/\1/p' "$RESULTS"); do
      printf '      %-32s %10s ev/s    %7s s   (replay process %s cores, postgres %s, other %s)\n' "$name" \
        "$(get "p2.only.$name.eps")" "$(get "p2.only.$name.s")" "$(get "p2.only.$name.cpu.replay_cores")" \
        "$(get "p2.only.$name.cpu.postgres_cores")" "$(get "p2.only.$name.cpu.other_cores")"
    done
  fi
  if [[ -f "$WORK/p1-top.txt" ]]; then
    echo
    echo "top during P1 (ours):"
    cat "$WORK/p1-top.txt"
  fi
  if [[ -f "$WORK/pgbench-top.txt" ]]; then
    echo
    echo "top during P1 (pgbench):"
    cat "$WORK/pgbench-top.txt"
  fi
  echo
  echo "commands:"
  local key
  for key in p1.command pgbench.command pgbench.script pgbench_notify.command pgbench_notify.script \
    p1_no_notify.command p2.command; do
    [[ -z "$(get "$key")" ]] || echo "  $key: $(get "$key")"
  done
  echo
  echo "raw results: $RESULTS"
}

# ---------------------------------------------------------------------------------------------- main
log "machine: $(machine)"
if [[ "${NO_BUILD:-}" == 1 && -x "$SERVER" && -x "$BENCH" ]]; then
  log "NO_BUILD=1: using the existing $SERVER and $BENCH"
else
  log "building release binaries (cargo build --release -p omi-api -p omi-bench)"
  (cd "$ROOT" && cargo build --release -p omi-api -p omi-bench)
fi
result build.binary_time "$(date -u -r "$SERVER" +%Y-%m-%dT%H:%MZ)"
# Run copies, so that a rebuild in the tree during the run cannot swap the binaries under the benchmark.
mkdir -p "$WORK/bin"
cp "$SERVER" "$BENCH" "$WORK/bin/"
SERVER="$WORK/bin/omi-server"
BENCH="$WORK/bin/omi-bench"
result build.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || echo ' + uncommitted changes')"
result machine.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
start_postgres
if [[ -z "$ONLY" || "$ONLY" == p1 ]]; then run_p1; fi
if [[ -z "$ONLY" || "$ONLY" == p2 ]]; then run_p2; fi
report | tee "$WORK/report.txt"
