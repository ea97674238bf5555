#!/usr/bin/env bash
# P5 of BENCHMARKS.md: the server's memory per idle connection.
#
#   bash bench/run-p5.sh
#
# builds the release binaries and, for each of P5_RUNS rounds, each kind (idle /v4/listen WebSocket sessions with
# client transcripts, each of its own user and sending a one-byte keepalive every 20 s; idle HTTP keep-alive
# connections after one GET /health) and each count in P5_COUNTS, starts a fresh server on the embedded SQLite
# store, opens and closes 100 connections of that kind as a warm-up, then opens COUNT idle ones and reads the
# server's VmRSS (/proc/PID/status) before and after: (after - before) / COUNT is the figure. With P5_BASELINE
# set to another omi-server binary, that binary is measured the same way in the same rounds, interleaved.
# Everything runs against 127.0.0.1; each measurement is bounded in time (opening gives up after 60 s).
#
# Settings (environment): P5_COUNTS ("1000 5000"), P5_KINDS ("websocket http"), P5_RUNS (2), P5_RATE (250
# connections opened per second), P5_SETTLE (5 s of quiet before each reading), P5_BASELINE (an omi-server
# binary), P5_LISTEN_QUERY (custom_stt=enabled: the sessions' /v4/listen parameters, e.g.
# custom_stt=enabled&codec=opus&sample_rate=16000), NO_BUILD (1: use the binaries in target/release).
set -euo pipefail

P5_COUNTS=${P5_COUNTS:-1000 5000}
P5_KINDS=${P5_KINDS:-websocket http}
P5_RUNS=${P5_RUNS:-2}
P5_RATE=${P5_RATE:-250}
P5_SETTLE=${P5_SETTLE:-5}
P5_BASELINE=${P5_BASELINE:-}
P5_LISTEN_QUERY=${P5_LISTEN_QUERY:-custom_stt=enabled}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SERVER="$ROOT/target/release/omi-server"
BENCH="$ROOT/target/release/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench-p5.XXXXXX)
RESULTS="$WORK/results.txt"
: >"$RESULTS"
SERVER_PID=""

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
result() { echo "$1=$2" >>"$RESULTS"; }
get() { sed -n "s/^$1=//p" "$RESULTS" | tail -n1; }
collect() { grep -E '^[a-z0-9_.]+=' "$1" >>"$RESULTS" || true; }

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK/bin"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server BIN NAME: a server on a fresh data directory $WORK/NAME. Idle HTTP connections are what is
# measured, so the idle timeout is far beyond the measurement.
start_server() {
  local bin=$1 name=$2
  DATA="$WORK/$name"
  mkdir -p "$DATA"
  OMI_BIND=127.0.0.1:0 OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" OMI_IDLE_TIMEOUT_SECS=3600 \
    OMI_MAX_CONNECTIONS=50000 RUST_LOG=warn "$bin" >"$DATA/server.out" 2>"$DATA/server.err" &
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
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# measure WHICH BIN KIND COUNT RUN
measure() {
  local which=$1 bin=$2 kind=$3 count=$4 run=$5
  local label="p5.$which.$kind.$count.run$run"
  start_server "$bin" "$which-$kind-$count-$run"
  log "P5: $which, $count idle $kind connections (round $run), server pid $SERVER_PID"
  local p5=("$BENCH" p5 --url "$SERVER_URL" --server "$bin" --server-pid "$SERVER_PID" --kind "$kind"
    --count "$count" --rate "$P5_RATE" --settle "$P5_SETTLE" --label "$label" --listen-query "$P5_LISTEN_QUERY")
  result "p5.command" "${p5[*]}"
  OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET" "${p5[@]}" >"$WORK/$label.out" 2>"$WORK/$label.err" ||
    log "P5: $label failed: $(tail -n 2 "$WORK/$label.err")"
  collect "$WORK/$label.out"
  cat "$WORK/$label.err" >&2
  stop_server
}

report() {
  local which kind count run line
  echo
  echo "== omi-server P5: memory per idle connection =="
  echo "machine:  $(machine)"
  echo "build:    $(get build.commit), omi-server built $(get build.binary_time)"
  [[ -z "$P5_BASELINE" ]] || echo "baseline: $P5_BASELINE (built $(get build.baseline_time))"
  echo "sessions: /v4/listen?$P5_LISTEN_QUERY"
  echo "server VmRSS growth / connections (KiB per idle connection), one column per round:"
  for kind in $P5_KINDS; do
    for count in $P5_COUNTS; do
      for which in ours ${P5_BASELINE:+baseline}; do
        line=""
        for run in $(seq 1 "$P5_RUNS"); do
          line="$line $(get "p5.$which.$kind.$count.run$run.per_connection_kib")"
        done
        printf '  %-9s %6s x %-9s %s\n' "$kind" "$count" "$which" "$line"
      done
    done
  done
  echo "raw results: $RESULTS"
}

log "machine: $(machine)"
if [[ "${NO_BUILD:-}" == 1 && -x "$SERVER" && -x "$BENCH" ]]; then
  log "NO_BUILD=1: using the existing $SERVER and $BENCH"
else
  log "building release binaries (cargo build --release -p omi-api -p omi-bench)"
  (cd "$ROOT" && cargo build --release -p omi-api -p omi-bench)
fi
result build.binary_time "$(date -u -r "$SERVER" +%Y-%m-%dT%H:%MZ)"
mkdir -p "$WORK/bin"
cp "$SERVER" "$BENCH" "$WORK/bin/"
SERVER="$WORK/bin/omi-server"
BENCH="$WORK/bin/omi-bench"
if [[ -n "$P5_BASELINE" ]]; then
  [[ -x "$P5_BASELINE" ]] || die "P5_BASELINE=$P5_BASELINE is not an executable"
  result build.baseline_time "$(date -u -r "$P5_BASELINE" +%Y-%m-%dT%H:%MZ)"
  cp "$P5_BASELINE" "$WORK/bin/omi-server-baseline"
  P5_BASELINE="$WORK/bin/omi-server-baseline"
fi
result build.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || echo ' + uncommitted changes')"

# Each connection is a descriptor on both sides (the load generator and the server share this limit).
largest=0
for count in $P5_COUNTS; do ((count > largest)) && largest=$count; done
hard=$(ulimit -Hn)
want=$((largest + 1024))
if [[ "$hard" != unlimited ]] && ((hard < want)); then
  die "$largest connections need an open-file limit of at least $want; the hard limit is $hard"
fi
ulimit -n "$want"
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

for run in $(seq 1 "$P5_RUNS"); do
  for kind in $P5_KINDS; do
    for count in $P5_COUNTS; do
      measure ours "$SERVER" "$kind" "$count" "$run"
      [[ -z "$P5_BASELINE" ]] || measure baseline "$P5_BASELINE" "$kind" "$count" "$run"
    done
  done
done
report | tee "$WORK/report.txt"
