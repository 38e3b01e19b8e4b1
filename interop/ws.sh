#!/usr/bin/env bash
# Interop over WebSocket (issue 11): our server and client against jsonrpsee 0.26 and Python's
# `websockets`.
#
#   bash interop/ws.sh
#
# Makes (or reuses) the venv with interop/requirements.txt, builds examples/spec_server and
# examples/client, and the jsonrpsee package interop/jsonrpsee (a debug build without debug
# info: from scratch on 2 busy cores, 48 s, where a release build took 87 s and buys nothing
# for the few thousand messages sent here), then
#   1. starts the spec server on a free loopback port and runs jsonrpsee's WsClient
#      (interop/jsonrpsee/src/bin/jsonrpsee_client.rs) and interop/test_ws_python.py against it,
#      then interrupts it (SIGINT) and checks the close code 1001 and its exit status;
#   2. starts a jsonrpsee WS server (interop/jsonrpsee/src/bin/jsonrpsee_server.rs) and runs
#      examples/client against it: a ping, and subscribe_ticks with --subscribe --take 3.
# Every check prints `ok`/`FAIL`; the last line is `N passed, N failed` over all of them, and
# the exit status is 1 if any failed. Both servers are stopped on exit.
#
# Environment: INTEROP_VENV (default target/interop-venv), PYTHON (default python3),
# INTEROP_WAIT_SECONDS (default 30: how long a server may take to answer).
set -euo pipefail

say() { printf 'ws-interop: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

started_at=$SECONDS
jsonrpsee_pid=""
stop_jsonrpsee() {
    if [[ -n "$jsonrpsee_pid" ]]; then
        kill "$jsonrpsee_pid" 2>/dev/null || true
        wait "$jsonrpsee_pid" 2>/dev/null || true
        jsonrpsee_pid=""
    fi
}
trap 'stop_jsonrpsee; cleanup' EXIT

ensure_venv

# --- builds -----------------------------------------------------------------------------
say "building examples/spec_server and examples/client"
server_bin="$(example_binary spec_server)"
client_bin="$(example_binary client)"

say "building interop/jsonrpsee (jsonrpsee 0.26, Cargo.lock as committed)"
jsonrpsee_manifest="$repo/interop/jsonrpsee/Cargo.toml"
jsonrpsee_bins="$(
    cargo build --locked --manifest-path "$jsonrpsee_manifest" --bins \
        --message-format=json-render-diagnostics \
        | "$py" -c '
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
        print(msg["target"]["name"], msg["executable"])
'
)" || die "building interop/jsonrpsee failed"
jsonrpsee_bin() {
    local exe
    exe="$(awk -v name="$1" '$1 == name { print $2 }' <<<"$jsonrpsee_bins")"
    [[ -n "$exe" && -x "$exe" ]] || die "cargo did not report the $1 binary"
    printf '%s\n' "$exe"
}
jsonrpsee_client="$(jsonrpsee_bin jsonrpsee_client)"
jsonrpsee_server="$(jsonrpsee_bin jsonrpsee_server)"

passed=0
failed=0

# --- 1. jsonrpsee's client and Python's websockets against our spec server -------------
serve_spec() { exec "$server_bin" "127.0.0.1:$1"; }
start_server serve_spec
ws_url="ws://${url#http://}"

suite "jsonrpsee's WsClient against $ws_url" "$jsonrpsee_client" "$ws_url"
suite "Python websockets against $ws_url" \
    env JSONRPC_URL="$url" "$py" "$repo/interop/test_ws_python.py"

# Last, as it stops the server: Ctrl-C answers the calls in flight and closes with 1001.
suite "Python websockets: the spec server's shutdown" \
    env JSONRPC_URL="$url" "$py" "$repo/interop/test_ws_python.py" --shutdown "$server_pid"
server_status=0
timeout 10 tail --pid="$server_pid" -f /dev/null || server_status=124
if [[ $server_status -eq 0 ]]; then
    wait "$server_pid" 2>/dev/null || server_status=$?
    server_pid=""
fi
if [[ $server_status -eq 0 ]]; then
    passed=$((passed + 1))
    printf 'ok %s\n' "the spec server exits 0 after Ctrl-C"
elif [[ $server_status -eq 124 ]]; then
    failed=$((failed + 1))
    printf 'FAIL %s: still running 10s later\n' "the spec server exits 0 after Ctrl-C"
else
    failed=$((failed + 1))
    printf 'FAIL %s: exit status %d\n' "the spec server exits 0 after Ctrl-C" "$server_status"
fi

# --- 2. our command-line client against a jsonrpsee server ------------------------------
say "starting $jsonrpsee_server"
"$jsonrpsee_server" 127.0.0.1:0 >"$tmp/jsonrpsee.out" 2>"$tmp/jsonrpsee.err" &
jsonrpsee_pid=$!
jsonrpsee_addr=""
deadline=$((SECONDS + wait_seconds))
while [[ -z "$jsonrpsee_addr" ]]; do
    if ! kill -0 "$jsonrpsee_pid" 2>/dev/null; then
        cat "$tmp/jsonrpsee.err" >&2
        die "the jsonrpsee server exited"
    fi
    [[ $SECONDS -le $deadline ]] \
        || die "the jsonrpsee server printed no address within ${wait_seconds}s"
    jsonrpsee_addr="$(head -n 1 "$tmp/jsonrpsee.out")"
    [[ -n "$jsonrpsee_addr" ]] || sleep 0.1
done
say "the jsonrpsee server is at $jsonrpsee_addr"

# check NAME WANT_STATUS WANT_STDOUT -- CLIENT_ARGS...: runs examples/client with a timeout;
# its exit status and stdout must be exactly as expected.
check() {
    local name="$1" want_status="$2" want_stdout="$3"
    shift 4
    local status=0
    timeout 30 "$client_bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
    local stdout problems=""
    stdout="$(cat "$tmp/stdout")"
    [[ "$status" == "$want_status" ]] \
        || problems+="  exit status: expected $want_status, got $status"$'\n'
    [[ "$stdout" == "$want_stdout" ]] \
        || problems+="  stdout: expected [$want_stdout], got [$stdout]"$'\n'
    if [[ -z "$problems" ]]; then
        passed=$((passed + 1))
        printf 'ok %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL %s (client %s)\n%s  stderr: [%s]\n' \
            "$name" "$*" "$problems" "$(cat "$tmp/stderr")"
    fi
}

say "examples/client against the jsonrpsee server"
check "our client: ping over ws:// to jsonrpsee" 0 '"pong"' -- "ws://$jsonrpsee_addr/" ping
check "our client: ping over http:// to jsonrpsee" 0 '"pong"' -- "http://$jsonrpsee_addr/" ping
check "our client: subscribe_ticks [3,10] --take 3 from jsonrpsee" 0 $'0\n1\n2' -- \
    "ws://$jsonrpsee_addr/" subscribe_ticks '[3,10]' --subscribe --take 3
check "our client: subscribe_ticks by name --take 2 from jsonrpsee" 0 $'0\n1' -- \
    "ws://$jsonrpsee_addr/" subscribe_ticks '{"count": 5, "interval_ms": 10}' --subscribe --take 2
stop_jsonrpsee

if [[ $failed -ne 0 ]]; then
    say "the spec server's output:"
    cat "$log" >&2
fi
say "took $((SECONDS - started_at))s"
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
