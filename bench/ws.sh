#!/usr/bin/env bash
# WebSocket load test: this project's server (`ws_ours`) against jsonrpsee 0.26's (`ws_jsonrpsee`),
# both with `ping`, a broadcast subscription `subscribe_events` and `publish`, driven by the same
# tokio-tungstenite client (`ws_load`, see src/bin/ws_load.rs for what each scenario does):
#
#   bash bench/ws.sh                         # 3 rounds: 4 1/2 to 8 minutes after the build
#   ROUNDS=5 DURATION=20 bash bench/ws.sh
#   SCENARIOS=ping,idle bash bench/ws.sh
#
# Scenarios: `ping` (64 connections, one call in flight on each: req/s, p50, p99, server CPU per
# call), `broadcast` (64 subscribers of one broadcast and a publisher as fast as they are served:
# notifications/s, server CPU per notification) and `idle` (server RSS with 0 and with 2,000
# open connections that each made one ping: memory per connection). A fresh server process for
# every run, rounds in alternating order, medians and the ratios ours / jsonrpsee as markdown.
# Loopback only; every server started is stopped on exit. Too heavy for CI: run it by hand, on a
# quiet machine (check `uptime` first: the client and the servers share the cores).
#
# Environment: ROUNDS (3), DURATION (10, seconds), WARMUP (2), CONNECTIONS (64), IDLE (2000),
# CLIENT_THREADS (1: tokio threads of the client, as wrk -t1 in load.sh), SCENARIOS
# (ping,broadcast,idle), JSONRPC_BENCH_WORKERS (2: tokio worker threads of each server).
# On a shared machine: QUIET_WAIT (20: seconds to wait at most before each run for a quiet
# machine), MAX_OTHERS (25: a run during which other processes used more than this percent of one
# core is done again), RETRIES (2: at most this many times), BUDGET (240: no more waiting nor
# retrying after this many seconds, so the whole run stays under about 8 minutes).
set -euo pipefail
cd "$(dirname "$0")"

export JSONRPC_BENCH_WORKERS=${JSONRPC_BENCH_WORKERS:-2}
IDLE=${IDLE:-2000}

echo "== building the servers and the load tool (release)"
cargo build --release --quiet --bin ws_ours --bin ws_jsonrpsee --bin ws_load
BIN=${CARGO_TARGET_DIR:-target}/release

# Every idle connection is a descriptor in the client and one in the server.
want=$((IDLE + 512))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi

mkdir -p target
"$BIN/ws_load" \
    --rounds "${ROUNDS:-3}" \
    --duration "${DURATION:-10}" \
    --warmup "${WARMUP:-2}" \
    --connections "${CONNECTIONS:-64}" \
    --idle "$IDLE" \
    --client-threads "${CLIENT_THREADS:-1}" \
    --quiet-wait "${QUIET_WAIT:-20}" \
    --max-others "${MAX_OTHERS:-25}" \
    --retries "${RETRIES:-2}" \
    --budget "${BUDGET:-240}" \
    --scenarios "${SCENARIOS:-ping,broadcast,idle}" \
    ours="$BIN/ws_ours" jsonrpsee="$BIN/ws_jsonrpsee" | tee target/ws-results.md
echo
echo "(this output: bench/target/ws-results.md)"
