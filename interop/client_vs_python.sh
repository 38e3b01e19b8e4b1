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

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${INTEROP_VENV:-$repo/target/interop-venv}"
python="${PYTHON:-python3}"
requirements="$repo/interop/requirements.txt"
wait_seconds="${INTEROP_WAIT_SECONDS:-30}"

say() { printf 'client-interop: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Exit 0 when the venv's python runs and has every pinned package at its pinned version.
venv_has_pins() {
    [[ -x "$venv/bin/python" ]] || return 1
    "$venv/bin/python" - "$requirements" <<'EOF' 2>/dev/null
import re, sys
from importlib.metadata import distributions

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

have = {norm(d.metadata["Name"]): d.version for d in distributions()}
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    if have.get(norm(name.split("[")[0].strip())) != version.strip():
        sys.exit(1)
EOF
}

# --- Python side ------------------------------------------------------------------------
if venv_has_pins; then
    say "reusing the venv at $venv"
else
    if [[ ! -x "$venv/bin/python" ]]; then
        say "creating a venv at $venv"
        command -v "$python" >/dev/null || die "$python not found (set PYTHON)"
        "$python" -m venv "$venv" \
            || die "'$python -m venv' failed (on Debian: apt-get install python3-venv)"
    fi
    say "installing interop/requirements.txt"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    venv_has_pins || die "the venv at $venv still lacks a pinned package after pip install"
fi
py="$venv/bin/python"

# --- Rust side --------------------------------------------------------------------------
say "building examples/client and tests/client_interop.rs"
cargo build --example client --quiet || die "cargo build --example client failed"
cargo test --test client_interop --no-run --quiet || die "building tests/client_interop.rs failed"
# Ask cargo where the binary is rather than guessing target/ (CARGO_TARGET_DIR and the like).
client_bin="$(
    cargo build --example client --message-format=json-render-diagnostics \
        | "$py" -c '
import json, sys
exe = ""
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "client":
        exe = msg.get("executable") or exe
print(exe)
'
)"
[[ -n "$client_bin" && -x "$client_bin" ]] || die "cargo did not report the client binary"

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until the server at $1 answers ping with pong, while process $2 lives.
# Exit status: 0 answered, 1 process died, 2 timed out.
wait_for_server() {
    "$py" - "$1" "$2" "$wait_seconds" <<'EOF'
import json, os, sys, time, urllib.request

url, pid, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
body = json.dumps({"jsonrpc": "2.0", "method": "ping", "id": 0}).encode()
deadline = time.monotonic() + limit
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        req = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=2) as response:
            if json.loads(response.read()).get("result") == "pong":
                sys.exit(0)
    except (OSError, ValueError):
        pass
    if time.monotonic() > deadline:
        sys.exit(2)
    time.sleep(0.1)
EOF
}

# Another process may take the free port between picking and binding it: then try another.
url=""
for attempt in 1 2 3; do
    port="$("$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')"
    log="$tmp/server-$attempt.log"
    say "starting interop/python_server.py on 127.0.0.1:$port"
    "$py" -W ignore "$repo/interop/python_server.py" "$port" >"$log" 2>&1 &
    server_pid=$!
    status=0
    wait_for_server "http://127.0.0.1:$port/" "$server_pid" || status=$?
    if [[ $status -eq 0 ]]; then
        url="http://127.0.0.1:$port/"
        break
    fi
    if [[ $status -eq 2 ]]; then
        say "error: the server did not answer ping within ${wait_seconds}s; its output:"
        cat "$log" >&2
        exit 1
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    say "the server exited before answering (attempt $attempt); its output:"
    cat "$log" >&2
done
[[ -n "$url" ]] || die "the server could not be started"
say "server answers at $url"

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
