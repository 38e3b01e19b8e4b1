#!/usr/bin/env bash
# HTTP load test: this project's ping server against jsonrpsee's and a bare hyper server that
# answers fixed bytes (the limit), one server at a time, alternating the order over rounds.
#
#   bash bench/load.sh                 # 3 rounds of 10 s per server and per workload
#   ROUNDS=5 DURATION=20s bash bench/load.sh
#
# Workloads: `ping` (one call per POST) and `batch` (100 pings per POST), each with
# `wrk -t1 -c64 -d10s`. For every run it records req/s, p50/p99 latency, the server's CPU time per
# call (utime+stime from /proc/PID/stat over the run, divided by the calls completed) and its peak
# RSS (VmHWM from /proc/PID/status), then prints the medians and the ratios ours/hyper and
# ours/jsonrpsee. Loopback only; every server it starts is stopped on exit.
#
# Needs: cargo, and wrk (installed with apt-get when missing; Debian/Ubuntu, as root or sudo).
# Environment: ROUNDS (3), DURATION (10s), WARMUP (2s), CONNECTIONS (64), THREADS (1),
# JSONRPC_BENCH_WORKERS (2: tokio worker threads of every server).
set -euo pipefail
cd "$(dirname "$0")"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
export JSONRPC_BENCH_WORKERS=${JSONRPC_BENCH_WORKERS:-2}
SERVERS=(ping_ours ping_jsonrpsee ping_hyper)
WORKLOADS=(ping batch)
BATCH=100

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk (apt-get)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

echo "== building the servers (release)"
cargo build --release --bins --quiet
BIN=${CARGO_TARGET_DIR:-target}/release

WORK=$(mktemp -d)
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The wrk scripts: POST a body, and print the figures wrk gathered in one parsable line.
ping_body='{"jsonrpc":"2.0","method":"ping","id":1}'
batch_body="["
for id in $(seq "$BATCH"); do
    [ "$id" -gt 1 ] && batch_body+=","
    batch_body+="{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":$id}"
done
batch_body+="]"
for workload in "${WORKLOADS[@]}"; do
    body_var="${workload}_body"
    cat >"$WORK/$workload.lua" <<EOF
wrk.method = "POST"
wrk.body = '${!body_var}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
EOF
done

clk_tck=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks (fields 14 and 15, counted after the `(comm)`).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

start_server() {
    local name=$1 log="$WORK/$1.log"
    "$BIN/$name" 127.0.0.1:0 2>"$log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if grep -q "listening on" "$log"; then
            ADDR=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$log" | head -1)
            return 0
        fi
        sleep 0.05
    done
    echo "$name did not start:" >&2
    cat "$log" >&2
    exit 1
}

# One ping by hand before the load (without curl, only wrk's count of non-2xx answers checks).
check_answer() {
    command -v curl >/dev/null 2>&1 || return 0
    local answer
    answer=$(curl -s -d "$ping_body" -H 'Content-Type: application/json' "http://$ADDR/")
    case "$answer" in
    *'"result":"pong"'*) ;;
    *) echo "$1 answered ping with: $answer" >&2; exit 1 ;;
    esac
}

RESULTS="$WORK/results.tsv"
echo "== machine: $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
echo "== $ROUNDS rounds, wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), servers on $JSONRPC_BENCH_WORKERS tokio workers"
for round in $(seq "$ROUNDS"); do
    order=("${SERVERS[@]}")
    if [ $((round % 2)) -eq 0 ]; then order=(ping_hyper ping_jsonrpsee ping_ours); fi
    for workload in "${WORKLOADS[@]}"; do
        for name in "${order[@]}"; do
            start_server "$name"
            check_answer "$name"
            wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/$workload.lua" "http://$ADDR/" >/dev/null
            before=$(cpu_ticks "$SERVER_PID")
            line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/$workload.lua" "http://$ADDR/" | grep '^RESULT')
            after=$(cpu_ticks "$SERVER_PID")
            rss=$(peak_rss_kib "$SERVER_PID")
            stop_server
            read -r _ requests duration_us p50 p99 errors <<<"$line"
            calls=$requests
            [ "$workload" = batch ] && calls=$((requests * BATCH))
            awk -v n="$name" -v w="$workload" -v r="$round" -v req="$requests" -v calls="$calls" \
                -v d="$duration_us" -v p50="$p50" -v p99="$p99" -v e="$errors" -v rss="$rss" \
                -v ticks=$((after - before)) -v hz="$clk_tck" 'BEGIN {
                    rps = req / (d / 1e6); cps = calls / (d / 1e6)
                    cpu = ticks / hz / calls * 1e6
                    printf "%s\t%s\t%d\t%.0f\t%.0f\t%d\t%d\t%.3f\t%d\t%d\n", w, n, r, rps, cps, p50, p99, cpu, rss, e
                }' >>"$RESULTS"
            tail -1 "$RESULTS" | awk -F'\t' '{printf "round %d  %-6s %-15s %9.0f req/s  p50 %6d us  p99 %6d us  %7.3f us CPU/call  %7d KiB%s\n",
                $3, $1, $2, $4, $6, $7, $8, $9, ($10 > 0 ? "  ERRORS: " $10 : "")}'
        done
    done
done
echo "== after: $(uptime | sed 's/.*load average/load average/')"

# Medians over the rounds, and the ratios.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
med() { awk -F'\t' -v w="$1" -v n="$2" -v c="$3" '$1 == w && $2 == n {print $c}' "$RESULTS" | median; }
label() {
    case $1 in
    ping_ours) echo "jsonrpc-runtime (ours)" ;;
    ping_jsonrpsee) echo "jsonrpsee 0.26" ;;
    ping_hyper) echo "bare hyper 1, fixed bytes (the limit)" ;;
    esac
}
for workload in "${WORKLOADS[@]}"; do
    echo
    if [ "$workload" = ping ]; then
        echo "### ping, one call per POST (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, medians of $ROUNDS rounds)"
    else
        echo "### batch of $BATCH pings per POST (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, medians of $ROUNDS rounds)"
    fi
    echo
    echo "| server | req/s | calls/s | p50 | p99 | CPU per call | peak RSS |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for name in "${SERVERS[@]}"; do
        printf "| %s | %.0f | %.0f | %d µs | %d µs | %.3f µs | %.1f MiB |\n" "$(label "$name")" \
            "$(med "$workload" "$name" 4)" "$(med "$workload" "$name" 5)" "$(med "$workload" "$name" 6)" \
            "$(med "$workload" "$name" 7)" "$(med "$workload" "$name" 8)" \
            "$(awk -v k="$(med "$workload" "$name" 9)" 'BEGIN {print k / 1024}')"
    done
    for other in ping_hyper ping_jsonrpsee; do
        awk -v name="ours / ${other#ping_}" \
            -v r1="$(med "$workload" ping_ours 5)" -v r2="$(med "$workload" "$other" 5)" \
            -v c1="$(med "$workload" ping_ours 8)" -v c2="$(med "$workload" "$other" 8)" \
            -v m1="$(med "$workload" ping_ours 9)" -v m2="$(med "$workload" "$other" 9)" \
            -v p1="$(med "$workload" ping_ours 7)" -v p2="$(med "$workload" "$other" 7)" \
            -v q1="$(med "$workload" ping_ours 6)" -v q2="$(med "$workload" "$other" 6)" \
            'BEGIN {printf "| %s | %.2f × | %.2f × | %.2f × | %.2f × | %.2f × | %.2f × |\n", name, r1 / r2, r1 / r2, q1 / q2, p1 / p2, c1 / c2, m1 / m2}'
    done
done
errors=$(awk -F'\t' '{s += $10} END {print s + 0}' "$RESULTS")
if [ "$errors" -gt 0 ]; then echo "!! wrk counted $errors errors (see the per-run lines)"; fi
mkdir -p target
cp "$RESULTS" target/load-results.tsv
echo
echo "(every run: bench/target/load-results.tsv)"
