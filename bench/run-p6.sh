#!/usr/bin/env bash
# P6 of issue 14: Wrapped for a user with 5,000 conversations in one year.
#
#   bash bench/run-p6.sh
#
# builds the release binaries, starts a server on a fresh embedded SQLite store (or on the PostgreSQL database
# P6_DATABASE_URL, which must be empty) with the embedded, offline language model, and runs `omi-bench p6`: it
# imports P6_CONVERSATIONS conversations spread over P6_YEAR, waits until the server has processed them, asks for
# the year's wrapped and times the request until `GET /v1/wrapped/{year}` reads `done` (target <= 1 s), times the
# same computation through `?as_of=`, then reads the generated wrapped P6_REQUESTS times in a row for p50 and p99
# (target p99 <= 20 ms). Everything runs against 127.0.0.1.
#
# Settings (environment): P6_CONVERSATIONS (5000), P6_YEAR (2025), P6_REQUESTS (1000), P6_CONCURRENCY (8 import
# clients), P6_DATABASE_URL (unset: SQLite), NO_BUILD (1: use the binaries in target/release), BUILD_PROFILE
# (release; `debug` checks the benchmark at reduced scale with the debug binaries).
set -euo pipefail

P6_CONVERSATIONS=${P6_CONVERSATIONS:-5000}
P6_YEAR=${P6_YEAR:-2025}
P6_REQUESTS=${P6_REQUESTS:-1000}
P6_CONCURRENCY=${P6_CONCURRENCY:-8}
P6_DATABASE_URL=${P6_DATABASE_URL:-}
BUILD_PROFILE=${BUILD_PROFILE:-release}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVER="$ROOT/target/$BUILD_PROFILE/omi-server"
BENCH="$ROOT/target/$BUILD_PROFILE/omi-bench"
WORK=$(mktemp -d /tmp/omi-bench-p6.XXXXXX)
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

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${NO_BUILD:-}" == 1 && -x "$SERVER" && -x "$BENCH" ]]; then
  log "NO_BUILD=1: using the existing $SERVER and $BENCH"
elif [[ "$BUILD_PROFILE" == release ]]; then
  log "building release binaries (cargo build --release -p omi-api -p omi-bench)"
  (cd "$ROOT" && cargo build --release -p omi-api -p omi-bench)
else
  log "building debug binaries (cargo build -p omi-api -p omi-bench)"
  (cd "$ROOT" && cargo build -p omi-api -p omi-bench)
fi
result build.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  [[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || echo ' + uncommitted changes')"

DATA="$WORK/data"
mkdir -p "$DATA"
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export OMI_DATA_DIR="$DATA" OMI_AUTH_SECRET="$AUTH_SECRET"
[[ -z "$P6_DATABASE_URL" ]] || export DATABASE_URL="$P6_DATABASE_URL"
# The embedded language model: generation is measured offline.
unset OMI_LLM_BASE_URL
OMI_BIND=127.0.0.1:0 RUST_LOG=warn "$SERVER" >"$DATA/server.out" 2>"$DATA/server.err" &
SERVER_PID=$!
waited=0
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
log "P6: server pid $SERVER_PID at $SERVER_URL (${P6_DATABASE_URL:+PostgreSQL}${P6_DATABASE_URL:-SQLite})"

P6=("$BENCH" p6 --url "$SERVER_URL" --server "$SERVER" --conversations "$P6_CONVERSATIONS" --year "$P6_YEAR"
  --requests "$P6_REQUESTS" --concurrency "$P6_CONCURRENCY")
result p6.command "${P6[*]}"
"${P6[@]}" >"$WORK/p6.out" 2>"$WORK/p6.err" || {
  cat "$WORK/p6.err" >&2
  die "omi-bench p6 failed"
}
grep -E '^[a-z0-9_.]+=' "$WORK/p6.out" >>"$RESULTS" || true
cat "$WORK/p6.err" >&2

echo
echo "== omi-server P6: wrapped of a year with $(get p6.conversations) conversations ($BUILD_PROFILE build) =="
echo "build:      $(get build.commit)"
echo "counted:    $(get p6.counted) conversations in $P6_YEAR (imported and processed in $(get p6.prepare_s) s)"
echo "generation: $(get p6.generate_s) s from the request to done (target <= 1 s)"
echo "as_of fold: $(get p6.as_of_median_ms) ms (median)"
echo "GET:        p50 $(get p6.get_p50_ms) ms, p99 $(get p6.get_p99_ms) ms (target p99 <= 20 ms)"
echo "raw results: $RESULTS"
