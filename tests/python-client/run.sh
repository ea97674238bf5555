#!/usr/bin/env bash
# The Python client check: starts omi-server on a throwaway SQLite data directory, generates a client from its
# /openapi.json with openapi-python-client (from PyPI, into a venv), compiles it, and calls memories and action
# items through it (test_client.py) with a token from `omi-server token`.
#
#   bash tests/python-client/run.sh                 # every test
#   bash tests/python-client/run.sh Memories        # one class of test_client.py
#
# The server binary is $OMI_SERVER_BIN, else target/debug/omi-server (built when missing).
set -euo pipefail

GENERATOR_VERSION=0.29.1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${OMI_SERVER_BIN:-$root/target/debug/omi-server}
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --bin omi-server)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "openapi-python-client==$GENERATOR_VERSION"

# The server and the token command share the data directory (the local signing secret lives there); nothing
# is inherited from the caller's OMI_* or DATABASE_URL settings. Only ever called in a subshell (in the
# background, in a pipeline): `exec` makes the subshell the server itself, so the pid the cleanup kills is the
# server's and none is left running.
run() {
    exec env -u DATABASE_URL $(env | sed -n 's/^\(OMI_[A-Z0-9_]*\)=.*/-u \1/p') \
        OMI_DATA_DIR="$work/data" OMI_BIND=127.0.0.1:0 NO_COLOR=1 RUST_LOG=warn "$bin" "$@"
}
run serve > "$work/server.log" 2>&1 &
server_pid=$!
base_url=
for _ in $(seq 600); do
    base_url=$(sed -n 's/^omi-server listening on \(http:[^ ]*\).*/\1/p' "$work/server.log")
    if [ -n "$base_url" ] || ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$base_url" ]; then
    echo "omi-server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
token=$(run token --uid python-client | tail -n 1)

"$work/venv/bin/python" - "$base_url/openapi.json" "$work/openapi.json" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1]) as answer, open(sys.argv[2], "wb") as out:
    out.write(answer.read())
PY
mkdir -p "$work/client"
"$work/venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
    --output-path "$work/client/omi_client" --meta none --config "$here/config.yaml"
"$work/venv/bin/python" -m compileall -q "$work/client"

tests=()
for name in "$@"; do tests+=("test_client.$name"); done
if [ ${#tests[@]} -eq 0 ]; then tests=(test_client); fi
cd "$here"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$work/client" OMI_BASE_URL="$base_url" OMI_TOKEN="$token" \
    "$work/venv/bin/python" -m unittest -v "${tests[@]}"
