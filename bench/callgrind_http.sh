#!/usr/bin/env bash
# User-space instructions per HTTP request of each server, counted by callgrind while wrk sends
# pings over one connection: what each server's own code costs per request, stable on a busy
# machine (kernel time, which every server pays alike, is not counted).
#
#   bash bench/callgrind_http.sh            # ours, jsonrpsee and both limits, 5 s of load each
#   DURATION=10s bash bench/callgrind_http.sh ping_ours
#   LAYERS=1 bash bench/callgrind_http.sh   # ping_hyper, each `ping_layer` step, ping_ours
#
# A server is a binary of src/bin, or `layer-NAME` for `ping_layer --layer NAME`.
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (bash load.sh installs it)" >&2; exit 1; }
cargo build --release --bins --quiet
BIN=${CARGO_TARGET_DIR:-target}/release
DURATION=${DURATION:-5s}
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -INT "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cat >"$WORK/ping.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","method":"ping","id":1}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d\n", summary.requests))
end
LUA
# Total instructions of one server run with `$2` of load (0: start and stop only).
run() {
    local name=$1 duration=$2 requests=0
    local command=("$BIN/$name" 127.0.0.1:0)
    case $name in layer-*) command=("$BIN/ping_layer" 127.0.0.1:0 --layer "${name#layer-}") ;; esac
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" "${command[@]}" 2>"$WORK/$name.log" &
    PID=$!
    for _ in $(seq 600); do grep -q "listening on" "$WORK/$name.log" && break; sleep 0.1; done
    local addr
    addr=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/$name.log" | head -1)
    if [ "$duration" = 0 ]; then
        # The servers print their address before they start serving, which is when they
        # install their signal handlers: a SIGINT at once can be lost under valgrind's slowness.
        sleep 1
    else
        requests=$(wrk -t1 -c1 -d"$duration" -s "$WORK/ping.lua" "http://$addr/" | sed -n 's/^RESULT //p')
    fi
    kill -INT "$PID"
    wait "$PID" || true
    PID=""
    echo "$requests $(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$WORK/$name.out")"
}
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
    if [ "${LAYERS:-0}" = 1 ]; then
        servers=(ping_hyper layer-auto layer-timer layer-upgrades ping_hyper_auto layer-body
            layer-dispatch layer-parts layer-service ping_ours)
    else
        servers=(ping_ours ping_jsonrpsee ping_hyper ping_hyper_auto)
    fi
fi
printf "%-16s %10s %16s %12s\n" server requests "instr/request" "Δ previous"
previous=""
for name in "${servers[@]}"; do
    read -r _ idle < <(run "$name" 0)
    read -r requests total < <(run "$name" "$DURATION")
    per=$(((total - idle) / requests))
    printf "%-16s %10d %16d %12s\n" "$name" "$requests" "$per" "${previous:+$((per - previous))}"
    previous=$per
done
