#!/usr/bin/env bash
# Hostile load (issue 15): slow, idle, unfinished and heavy clients against the spec server, one
# fresh server per scenario, while a well-behaved client keeps pinging it on new connections.
#
#   bash bench/hostile.sh                          # every scenario at full scale (about 8 min)
#   SCALE=0.1 bash bench/hostile.sh                # a quick run (about 2 min)
#   bash bench/hostile.sh trickle h2-idle          # some scenarios (or SCENARIOS="...")
#   ALLOCATORS="glibc mimalloc jemalloc" bash bench/hostile.sh unfinished-bodies big-bodies
#   SERVER=path/to/server SERVER_ARGS="--flag 1" bash bench/hostile.sh
#
# For each scenario it prints the fresh client's median and worst `ping` latency during the
# attack and the pings lost, the server's peak RSS, its RSS at the end of the burst and AFTER_S
# after it, and pass/fail against the targets; then Markdown tables (also written, with every
# figure as JSON, to $CARGO_TARGET_DIR/hostile/). bench/README.md explains the scenarios.
#
# Environment (defaults in brackets):
#   SCENARIOS    names, space- or comma-separated [all]; also taken from the arguments
#   SCALE        multiplies connection and client counts; below 1 also the times [1]
#   SERVER       a server binary taking ADDR [the spec server, built here in release]
#   SERVER_ARGS  extra arguments for the server, after ADDR []
#   ALLOCATORS   spec_server builds to compare: glibc, mimalloc, jemalloc [glibc]
#   BODY_TIMEOUT_S [10]  BUDGET_MIB [256]  AFTER_TARGET_MIB [64]  LATENCY_TARGET_S [1]
#   CONN_LIMIT [10000 × SCALE]   HOLD_S [per scenario]  AFTER_S [10]  IDLE_CHECK_S [70]
#   PROBE_INTERVAL_MS [100]  PROBE_TIMEOUT_S [5]  RSS_ABORT_MIB [4096]  ATTACK_NICE [0]
#
# Loopback only; every process it starts is stopped before the next scenario. Needs cargo and
# Python 3.8 or later (standard library only: no packages to install).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
    export SCENARIOS="$*"
fi
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
OUT=$TARGET/hostile
mkdir -p "$OUT/bin"

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
    echo "hostile.sh needs Python 3.8 or later as \$PYTHON (python3)" >&2
    exit 1
fi

# 10,000 connections on each side, plus the prober's: raise the soft limit as far as allowed.
hard=$(ulimit -Hn)
want=65536
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
if [ "$want" -lt 10100 ]; then
    echo "!! open files limited to $want: scenarios of 10,000 connections will fail to open them all" >&2
fi

servers=()
if [ -n "${SERVER:-}" ]; then
    servers+=("$(basename "$SERVER")=$SERVER")
else
    for allocator in ${ALLOCATORS:-glibc}; do
        case $allocator in
        glibc) features=() ;;
        mimalloc | jemalloc) features=(--features "$allocator") ;;
        *) echo "unknown allocator '$allocator': expected glibc, mimalloc or jemalloc" >&2; exit 1 ;;
        esac
        echo "== building spec_server ($allocator, release)"
        nice cargo build --release --quiet --example spec_server "${features[@]}"
        # Each build overwrites the same path: keep a copy per allocator.
        cp "$TARGET/release/examples/spec_server" "$OUT/bin/spec_server-$allocator"
        servers+=("$allocator=$OUT/bin/spec_server-$allocator")
    done
fi

exec "$PYTHON" bench/hostile/hostile.py "$OUT" "${servers[@]}"
