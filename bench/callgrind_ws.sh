#!/usr/bin/env bash
# User-space instructions per WebSocket `ping` call and per broadcast notification delivered,
# for each WebSocket server, counted by callgrind while ws_load drives it: what each server's own
# code costs, stable on a busy machine (kernel time, which both pay alike, is not counted; a
# notification's count includes its share of the `publish` call that sent it).
#
# memset is counted apart: callgrind counts every byte of a `rep stosb` as an instruction, and
# tungstenite (our server's WebSocket layer) zeroes the free part of its 8 KiB read buffer before
# each read, which is thousands of "instructions" per message but well under 1 % of the CPU
# time in perf. The `w/o memset` columns are the fairer comparison.
#
#   bash bench/callgrind_ws.sh                   # both servers, 5 s per scenario
#   DURATION=10 bash bench/callgrind_ws.sh ws_ours
#
# Environment: DURATION (5, seconds of load), PING_CONNECTIONS (8), SUBSCRIBERS (64).
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --quiet --bin ws_ours --bin ws_jsonrpsee --bin ws_load
BIN=${CARGO_TARGET_DIR:-target}/release
DURATION=${DURATION:-5}
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -INT "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
# Total instructions of one server run with scenario `$2` (none: start and stop only), and the
# calls or notifications counted.
run() {
    local name=$1 scenario=$2 connections=$3 count=0
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" "$BIN/$name" 127.0.0.1:0 2>"$WORK/$name.log" &
    PID=$!
    for _ in $(seq 300); do grep -q "listening on" "$WORK/$name.log" && break; sleep 0.1; done
    local addr
    addr=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/$name.log" | head -1)
    if [ "$scenario" != none ]; then
        count=$("$BIN/ws_load" --attach "$addr" --scenarios "$scenario" --connections "$connections" \
            --warmup 0 --duration "$DURATION" | sed -n "s/^RESULT $scenario //p")
    fi
    kill -INT "$PID"
    wait "$PID" || true
    PID=""
    local memset
    memset=$(callgrind_annotate "$WORK/$name.out" 2>/dev/null | awk '/memset/ {gsub(",", "", $1); s += $1} END {print s + 0}')
    echo "${count:-0} $(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$WORK/$name.out") $memset"
}
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(ws_ours ws_jsonrpsee)
printf "%-14s %9s %11s %13s %13s %11s %13s\n" server calls "instr/call" "w/o memset" notifications "instr/notif" "w/o memset"
for name in "${servers[@]}"; do
    read -r _ idle idle_memset < <(run "$name" none 0)
    read -r calls ping_total ping_memset < <(run "$name" ping "${PING_CONNECTIONS:-8}")
    read -r items broadcast_total broadcast_memset < <(run "$name" broadcast "${SUBSCRIBERS:-64}")
    if [ "${calls:-0}" -eq 0 ] || [ "${items:-0}" -eq 0 ]; then
        echo "$name: the load tool counted nothing (calls $calls, notifications $items)" >&2
        exit 1
    fi
    printf "%-14s %9d %11d %13d %13d %11d %13d\n" "$name" \
        "$calls" $(((ping_total - idle) / calls)) \
        $(((ping_total - ping_memset - idle + idle_memset) / calls)) \
        "$items" $(((broadcast_total - idle) / items)) \
        $(((broadcast_total - broadcast_memset - idle + idle_memset) / items))
done
