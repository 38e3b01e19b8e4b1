# Shared by the interop scripts: the venv, the example binaries, starting a server on a free
# loopback port, and running a suite of checks. Source it after setting `say` and `die`; it sets
# `repo`, `py`, `tmp` and a trap that stops the server and removes `tmp` on exit.
#
# Environment: INTEROP_VENV (default target/interop-venv), PYTHON (default python3),
# INTEROP_WAIT_SECONDS (default 30: how long a server may take to answer), SUITE_TIMEOUT
# (default 120: how long one `suite` may run).

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${INTEROP_VENV:-$repo/target/interop-venv}"
python="${PYTHON:-python3}"
requirements="$repo/interop/requirements.txt"
wait_seconds="${INTEROP_WAIT_SECONDS:-30}"

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

# Makes the venv with every pinned package, or reuses it; sets `py`.
ensure_venv() {
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
}

# Prints the path of example NAME after building it. Cargo is asked where the binary is rather
# than guessing target/ (CARGO_TARGET_DIR and the like).
example_binary() {
    local name="$1" exe
    exe="$(
        cargo build --example "$name" --message-format=json-render-diagnostics \
            | "$py" -c '
import json, sys
exe = ""
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == sys.argv[1]:
        exe = msg.get("executable") or exe
print(exe)
' "$name"
    )" || die "cargo build --example $name failed"
    [[ -n "$exe" && -x "$exe" ]] || die "cargo did not report the $name binary"
    printf '%s\n' "$exe"
}

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

# start_server COMMAND...: runs COMMAND with a free port as its last argument until it answers
# ping, and sets `url`, `server_pid` and `log`.
start_server() {
    # Another process may take the free port between picking and binding it: then try another.
    url=""
    for attempt in 1 2 3; do
        port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
        log="$tmp/server-$attempt.log"
        say "starting: $* (port $port)"
        "$@" "$port" >"$log" 2>&1 &
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
}

# suite NAME COMMAND...: runs a program that prints ok/FAIL lines and ends with
# `N passed, N failed`, shows its output, and adds its counts. A program that ends without
# that line (it crashed or hung) counts as one more failure. Each is given SUITE_TIMEOUT seconds
# (default 120) at most. Counts into `passed` and `failed`, which the caller sets to 0.
suite() {
    local name="$1" status=0 suite_started=$SECONDS stderr_shown=0
    shift
    say "$name"
    timeout "${SUITE_TIMEOUT:-120}" "$@" >"$tmp/suite.out" 2>"$tmp/suite.err" || status=$?
    cat "$tmp/suite.out"
    local summary
    summary="$(tail -n 1 "$tmp/suite.out")"
    if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        if [[ $status -ne 0 && ${BASH_REMATCH[2]} -eq 0 ]]; then
            failed=$((failed + 1))
            printf 'FAIL %s: exit status %d with no failed check\n' "$name" "$status"
        fi
    else
        failed=$((failed + 1))
        printf 'FAIL %s: exit status %d and no summary line; its stderr:\n' "$name" "$status"
        cat "$tmp/suite.err"
        stderr_shown=1
    fi
    if [[ $status -ne 0 && $stderr_shown -eq 0 && -s "$tmp/suite.err" ]]; then
        say "$name: its stderr:"
        tail -n 40 "$tmp/suite.err" >&2
    fi
    say "$name: $((SECONDS - suite_started))s"
}
