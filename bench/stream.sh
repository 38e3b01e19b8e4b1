#!/usr/bin/env bash
# Ping round trips per second over HTTP/1.1, TCP with line framing and a Unix socket with line
# framing, all served by one process of this project (bench/src/bin/stream_ours.rs) and driven
# by the same closed-loop client (bench/src/bin/stream_load.rs), in alternating rounds. Not run
# by CI. Loopback only; every round is bounded in time.
#
#   bash bench/stream.sh            # ROUNDS=3 SECONDS_PER_ROUND=8 CONNECTIONS=64
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS="${ROUNDS:-3}"
SECONDS_PER_ROUND="${SECONDS_PER_ROUND:-8}"
CONNECTIONS="${CONNECTIONS:-64}"
socket="$(mktemp -u /tmp/jsonrpc-bench-XXXXXX.sock)"

cargo build --release --quiet --bin stream_ours --bin stream_load
target/release/stream_ours --http 127.0.0.1:5100 --tcp 127.0.0.1:5101 --unix "$socket" > /tmp/stream_ours.out &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$socket"' EXIT
for _ in $(seq 50); do grep -q ready /tmp/stream_ours.out 2>/dev/null && break; sleep 0.1; done

declare -A results
for round in $(seq "$ROUNDS"); do
    for transport in http tcp unix; do
        case $transport in
            http) addr=127.0.0.1:5100 ;;
            tcp) addr=127.0.0.1:5101 ;;
            unix) addr=$socket ;;
        esac
        line="$(target/release/stream_load "$transport" "$addr" "$CONNECTIONS" "$SECONDS_PER_ROUND")"
        echo "round $round: $line" >&2
        results[$transport]+="$(echo "$line" | awk '{print $3}') "
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
http=$(echo "${results[http]}" | median)
echo "| transport | ping req/s (median of $ROUNDS) | / HTTP |"
echo "| --- | ---: | ---: |"
for transport in http tcp unix; do
    value=$(echo "${results[$transport]}" | median)
    ratio=$(awk -v a="$value" -v b="$http" 'BEGIN {printf "%.2f", a / b}')
    echo "| $transport | $value | $ratio × |"
done
