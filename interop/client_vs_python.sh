#!/usr/bin/env bash
# Interop test, the other way round from interop/run.sh: the Rust clients against the seed's own
# Python server (tornado + jsonrpcserver 4, interop/python_server.py).
#
#   bash interop/client_vs_python.sh
#
# Makes (or reuses) the venv with interop/requirements.txt, starts the Python server on a free
# loopback port, then
#   1. runs `examples/client` (the command-line client) for ping, params by position and by
#      name, a notification, error responses and the -v lines, checking stdout, stderr and the
#      exit status of each;
#   2. runs the ignored tests of tests/client_interop.rs (async, blocking and typed calls, a
#      batch the server answers out of order) with JSONRPC_PYTHON_URL set.
# Any mismatch fails the script (exit 1), after printing what was expected and what came.
#
# Environment: INTEROP_VENV (default target/interop-venv), PYTHON (default python3),
# INTEROP_WAIT_SECONDS (default 30: how long the server may take to answer).
set -euo pipefail

say() { printf 'client-interop: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_venv


# --- Rust side --------------------------------------------------------------------------
say "building examples/client and tests/client_interop.rs"
cargo build --example client --quiet || die "cargo build --example client failed"
cargo test --test client_interop --no-run --quiet || die "building tests/client_interop.rs failed"
client_bin="$(example_binary client)"

start_server "$py" -W ignore "$repo/interop/python_server.py"

# --- 1. the command-line client ---------------------------------------------------------
passed=0
failed=0

# check NAME EXPECTED_STATUS EXPECTED_STDOUT STDERR_PATTERN -- CLIENT_ARGS...
# Runs the client; its exit status and stdout must be exactly as expected, and its stderr
# must contain every line of STDERR_PATTERN (empty: stderr must be empty).
check() {
    local name="$1" want_status="$2" want_stdout="$3" want_stderr="$4"
    shift 5
    local status=0
    "$client_bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
    local stdout stderr problems=""
    stdout="$(cat "$tmp/stdout")"
    stderr="$(cat "$tmp/stderr")"
    [[ "$status" == "$want_status" ]] || problems+="  exit status: expected $want_status, got $status"$'\n'
    [[ "$stdout" == "$want_stdout" ]] || problems+="  stdout: expected [$want_stdout], got [$stdout]"$'\n'
    if [[ -z "$want_stderr" ]]; then
        [[ -z "$stderr" ]] || problems+="  stderr: expected nothing, got [$stderr]"$'\n'
    else
        while IFS= read -r line; do
            grep -qF -- "$line" "$tmp/stderr" \
                || problems+="  stderr: expected a line containing [$line], got [$stderr]"$'\n'
        done <<<"$want_stderr"
    fi
    if [[ -z "$problems" ]]; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s (client %s)\n%s' "$name" "$*" "$problems"
    fi
}

check "ping" 0 '"pong"' "" -- "$url" ping
check "positional params" 0 '19' "" -- "$url" subtract '[42, 23]'
check "positional params, reversed" 0 '-19' "" -- "$url" subtract '[23, 42]'
check "named params" 0 '19' "" -- "$url" subtract '{"minuend": 42, "subtrahend": 23}'
check "named params, other order" 0 '19' "" -- "$url" subtract '{"subtrahend": 23, "minuend": 42}'
check "a notification prints nothing" 0 '' "" -- -n "$url" notify_hello '[31337]'
check "the notification ran" 0 '[31337]' "" -- "$url" notes
check "an error response exits 2" 2 '' $'error -32001: it failed on purpose\ndata: {"reason":"interop"}' -- "$url" fail
check "method not found exits 2" 2 '' 'error -32601: Method not found' -- "$url" no_such_method
check "invalid params exit 2" 2 '' 'error -32602' -- "$url" subtract '[1]'
check "-v shows the --> and <-- lines" 0 '"pong"' \
    $'--> {"jsonrpc":"2.0","method":"ping","id":1}\n<-- {"jsonrpc": "2.0", "result": "pong", "id": 1} (200 OK)' \
    -- -v "$url" ping
check "an unreachable server exits 1" 1 '' 'transport error' -- "http://127.0.0.1:9/" ping
check "params that are not an array or object exit 1" 1 '' 'PARAMS must be a JSON array or object' -- "$url" subtract '5'

# --- 2. the Rust tests against the server -----------------------------------------------
say "running tests/client_interop.rs against $url"
if JSONRPC_PYTHON_URL="$url" cargo test --quiet --test client_interop -- --ignored; then
    passed=$((passed + 1))
    printf 'ok    %s\n' "tests/client_interop.rs (async, blocking, typed, batch)"
else
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "tests/client_interop.rs (async, blocking, typed, batch)"
fi

if [[ $failed -ne 0 ]]; then
    say "the server's output:"
    cat "$log" >&2
fi
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
