#!/usr/bin/env bash
# Where a server's CPU goes under the HTTP ping load: samples it with `perf record` (software
# clock, so it works in VMs without hardware counters) while `wrk -t1 -c64` drives it, then
# prints the shares by library (kernel, the server, libc) and the server's own top symbols.
#
#   bash bench/perf.sh                        # ping_ours, then ping_hyper
#   SERVERS="ping_ours ping_jsonrpsee" bash bench/perf.sh
#
# Needs: cargo, wrk and perf (linux-perf); run as root or with kernel.perf_event_paranoid <= 1.
# Environment: SERVERS, SECONDS_SAMPLED (8), TOP (30 symbols), JSONRPC_BENCH_WORKERS (2).
# The profiles stay in bench/target/perf/SERVER.data for `perf report -i`.
set -euo pipefail
cd "$(dirname "$0")"

read -r -a SERVERS <<<"${SERVERS:-ping_ours ping_hyper}"
SECONDS_SAMPLED=${SECONDS_SAMPLED:-8}
TOP=${TOP:-30}
export JSONRPC_BENCH_WORKERS=${JSONRPC_BENCH_WORKERS:-2}
for tool in wrk perf; do
    command -v "$tool" >/dev/null || { echo "bench/perf.sh needs $tool" >&2; exit 1; }
done

echo "== building the servers (release)"
cargo build --release --bins --quiet
BIN=${CARGO_TARGET_DIR:-target}/release
OUT=${CARGO_TARGET_DIR:-target}/perf
mkdir -p "$OUT"
cat >"$OUT/ping.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","method":"ping","id":1}'
wrk.headers["Content-Type"] = "application/json"
EOF

SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# `perf report` of a server's profile, flat, without its comment lines; written to a file first,
# so that `head` stopping early does not end the script through pipefail.
report() {
    local name=$1
    shift
    perf report -i "$OUT/$name.data" --no-children -g none --stdio "$@" >"$OUT/$name.report" 2>/dev/null
    grep -v -e '^#' -e '^$' "$OUT/$name.report" || true
}

for name in "${SERVERS[@]}"; do
    log="$OUT/$name.log"
    "$BIN/$name" 127.0.0.1:0 2>"$log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$log" && break
        sleep 0.05
    done
    addr=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$log" | head -1)
    if [ -z "$addr" ]; then
        echo "bench/perf.sh: $name did not report its address within 5 s; its output:" >&2
        cat "$log" >&2
        exit 1
    fi
    # Two seconds of load before sampling, and two after, so that perf sees a steady state.
    wrk -t1 -c64 -d$((SECONDS_SAMPLED + 4))s -s "$OUT/ping.lua" "http://$addr/" >"$OUT/$name.wrk" &
    wrk_pid=$!
    sleep 2
    perf record -q -e cpu-clock -F 4000 -g -p "$SERVER_PID" -o "$OUT/$name.data" \
        -- sleep "$SECONDS_SAMPLED" 2>/dev/null
    wait "$wrk_pid"
    kill -INT "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""

    echo
    echo "### $name ($(grep Requests/sec "$OUT/$name.wrk" | tr -s ' '))"
    echo
    echo "shares of the server's samples, by library:"
    report "$name" --sort dso | head -6
    echo
    echo "the server's own top $TOP symbols:"
    report "$name" --sort sym --dsos "$name" | head -"$TOP"
done
