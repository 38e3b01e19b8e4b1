#!/usr/bin/env bash
# Memory per idle HTTP/1.1 keep-alive connection: each server is started fresh, COUNT
# connections each make one ping and stay open (idle_http.py), and the server's RSS with them
# open, less its RSS after one ping on one connection, is divided by COUNT.
#
#   bash bench/idle_http.sh                     # 10,000 connections, every server
#   COUNT=2000 bash bench/idle_http.sh ping_ours ping_hyper_auto
#
# Needs python3. Loopback only; each server is stopped after its run.
set -euo pipefail
cd "$(dirname "$0")"
COUNT=${COUNT:-10000}
export JSONRPC_BENCH_WORKERS=${JSONRPC_BENCH_WORKERS:-2}
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(ping_ours ping_jsonrpsee ping_hyper ping_hyper_auto)
cargo build --release --bins --quiet
BIN=${CARGO_TARGET_DIR:-target}/release
want=$((COUNT + 512))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# The server's RSS (KiB) while `$1` connections that each made one ping are open.
rss_with() {
    mkfifo "$WORK/hold"
    python3 idle_http.py "$addr" "$1" <"$WORK/hold" >"$WORK/client.out" &
    local client=$!
    exec 3>"$WORK/hold"
    until grep -q OPEN "$WORK/client.out"; do sleep 0.1; done
    sleep 2
    rss_kib "$PID"
    exec 3>&-
    wait "$client"
    rm "$WORK/hold"
}
printf "| server | RSS, 1 connection | RSS, %d idle | per connection |\n| --- | ---: | ---: | ---: |\n" "$COUNT"
for name in "${servers[@]}"; do
    "$BIN/$name" 127.0.0.1:0 2>"$WORK/$name.log" &
    PID=$!
    for _ in $(seq 100); do grep -q "listening on" "$WORK/$name.log" && break; sleep 0.05; done
    addr=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/$name.log" | head -1)
    base=$(rss_with 1)
    loaded=$(rss_with "$COUNT")
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
    awk -v n="$name" -v b="$base" -v l="$loaded" -v c="$COUNT" \
        'BEGIN { printf "| %s | %.1f MiB | %.1f MiB | %.2f KiB |\n", n, b / 1024, l / 1024, (l - b) / c }'
done
