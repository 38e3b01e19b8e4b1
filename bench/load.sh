#!/usr/bin/env bash
# HTTP load test: this project's ping server against jsonrpsee's and two servers that answer
# fixed bytes (the limits): bare hyper 1 (HTTP/1.1 only) and hyper-util's auto builder with our
# server's connection settings. One server at a time, the order reversed on even rounds.
#
#   bash bench/load.sh                          # 5 rounds of 10 s per server and per workload
#   ROUNDS=3 DURATION=20s bash bench/load.sh
#   SERVERS="ping_ours ping_hyper_auto" bash bench/load.sh   # a subset
#   LAYERS=1 bash bench/load.sh                 # the bisection: ping_hyper, each layer, ping_ours
#   LATENCY=1 bash bench/load.sh                # one connection (CONNECTIONS=1): latency, ping only
#
# Workloads: `ping` (one call per POST) and `batch` (100 pings per POST), each with
# `wrk -t1 -c64 -d10s`. For every run it records req/s, p50/p99 latency, the server's CPU time per
# call (utime+stime from /proc/PID/stat over the run, divided by the calls completed) and its peak
# RSS (VmHWM from /proc/PID/status), then prints the medians and ratios as Markdown tables: against
# both limits and jsonrpsee, or (LAYERS=1) what each layer adds to the one before it, or
# (CONNECTIONS=1) the latency of one connection. Loopback only; every server it starts is stopped
# on exit.
#
# Servers: a binary of bench/src/bin (ping_ours, ping_jsonrpsee, ping_hyper, ping_hyper_auto), or
# `layer-NAME` for `ping_layer --layer NAME` (`ping_layer --list` names the layers; see
# bench/src/layers.rs).
#
# Needs: cargo, and wrk (installed with apt-get when missing; Debian/Ubuntu, as root or sudo).
# Environment: ROUNDS (5), DURATION (10s), WARMUP (2s), CONNECTIONS (64; 1 with LATENCY=1),
# THREADS (1), SERVERS (space-separated), WORKLOADS ("ping batch"; "ping" with LAYERS or
# LATENCY), JSONRPC_BENCH_WORKERS (2: tokio worker threads of every server).
set -euo pipefail
cd "$(dirname "$0")"

LAYERS=${LAYERS:-0}
LATENCY=${LATENCY:-0}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-1}
export JSONRPC_BENCH_WORKERS=${JSONRPC_BENCH_WORKERS:-2}
BATCH=100
if [ "$LAYERS" = 1 ]; then
    default_servers="ping_hyper layer-auto layer-timer layer-upgrades ping_hyper_auto layer-body"
    default_servers+=" layer-dispatch layer-parts layer-service ping_ours"
    default_workloads="ping"
elif [ "$LATENCY" = 1 ]; then
    default_servers="ping_ours ping_jsonrpsee ping_hyper ping_hyper_auto"
    default_workloads="ping"
else
    default_servers="ping_ours ping_jsonrpsee ping_hyper ping_hyper_auto"
    default_workloads="ping batch"
fi
if [ "$LATENCY" = 1 ]; then CONNECTIONS=${CONNECTIONS:-1}; else CONNECTIONS=${CONNECTIONS:-64}; fi
read -r -a SERVERS <<<"${SERVERS:-$default_servers}"
read -r -a WORKLOADS <<<"${WORKLOADS:-$default_workloads}"

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

# What each layer adds, from the binary (name TAB description); every server named must exist.
"$BIN/ping_layer" --list >"$WORK/layers.tsv"
for name in "${SERVERS[@]}"; do
    case $name in
    layer-*) grep -q "^${name#layer-}	" "$WORK/layers.tsv" || { echo "unknown layer: $name" >&2; exit 2; } ;;
    *) [ -x "$BIN/$name" ] || { echo "no such server: $BIN/$name" >&2; exit 2; } ;;
    esac
done

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
    case $name in
    layer-*) "$BIN/ping_layer" 127.0.0.1:0 --layer "${name#layer-}" 2>"$log" & ;;
    *) "$BIN/$name" 127.0.0.1:0 2>"$log" & ;;
    esac
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

# One measured run of server `$1` under workload `$2` in round `$3`: a line in $RESULTS. Fails
# (and says why) when the server stops or wrk reports nothing.
run_once() {
    local name=$1 workload=$2 round=$3 before after rss line
    start_server "$name"
    check_answer "$name"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/$workload.lua" "http://$ADDR/" >/dev/null || true
    before=$(cpu_ticks "$SERVER_PID" 2>/dev/null || true)
    line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/$workload.lua" "http://$ADDR/" 2>&1 | grep '^RESULT' || true)
    after=$(cpu_ticks "$SERVER_PID" 2>/dev/null || true)
    rss=$(peak_rss_kib "$SERVER_PID" 2>/dev/null || true)
    stop_server
    if [ -z "$line" ] || [ -z "$before" ] || [ -z "$after" ] || [ -z "$rss" ]; then
        echo "!! round $round $workload $name: no figures (wrk: '${line}'); the server's log:" >&2
        tail -5 "$WORK/$name.log" >&2
        return 1
    fi
    local requests duration_us p50 p99 errors calls
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
    tail -1 "$RESULTS" | awk -F'\t' '{printf "round %d  %-6s %-16s %9.0f req/s  p50 %6d us  p99 %6d us  %7.3f us CPU/call  %7d KiB%s\n",
        $3, $1, $2, $4, $6, $7, $8, $9, ($10 > 0 ? "  ERRORS: " $10 : "")}'
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
load_before=$(uptime | sed 's/.*load average: //')
echo "== machine: $(nproc) cores; load average $load_before"
echo "== $ROUNDS rounds, wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), servers on $JSONRPC_BENCH_WORKERS tokio workers"
echo "== servers: ${SERVERS[*]}; workloads: ${WORKLOADS[*]}"
for round in $(seq "$ROUNDS"); do
    order=("${SERVERS[@]}")
    if [ $((round % 2)) -eq 0 ]; then
        order=()
        for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do order+=("${SERVERS[i]}"); done
    fi
    for workload in "${WORKLOADS[@]}"; do
        for name in "${order[@]}"; do
            run_once "$name" "$workload" "$round" || run_once "$name" "$workload" "$round" ||
                echo "!! round $round $workload $name failed twice: left out" >&2
        done
    done
done
load_after=$(uptime | sed 's/.*load average: //')
echo "== after: load average $load_after"

# The medians over the rounds, a line per workload and server: workload, server, req/s, calls/s,
# p50 µs, p99 µs, CPU µs per call, peak RSS KiB.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
med() { awk -F'\t' -v w="$1" -v n="$2" -v c="$3" '$1 == w && $2 == n {print $c}' "$RESULTS" | median; }
MEDIANS="$WORK/medians.tsv"
for workload in "${WORKLOADS[@]}"; do
    for name in "${SERVERS[@]}"; do
        printf "%s\t%s" "$workload" "$name"
        for column in 4 5 6 7 8 9; do printf "\t%s" "$(med "$workload" "$name" "$column")"; done
        printf "\n"
    done
done >"$MEDIANS"

# The tables, from the medians (and the layers' descriptions). `mode` is one of: ping, batch,
# latency, layers, headline.
table() {
    awk -F'\t' -v mode="$1" -v order="${SERVERS[*]}" -v batch="$BATCH" '
    function commas(x,   s, out) {
        s = sprintf("%.0f", x); out = ""
        while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
        return s out
    }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "–" : sprintf("%.2f ×", a / b) }
    function signed(x, fmt) { return (x >= 0 ? "+" : "−") sprintf(fmt, x >= 0 ? x : -x) }
    function us(x) { return x >= 1000 ? sprintf("%.2f ms", x / 1000) : sprintf("%d µs", x) }
    # A table head from its titles, separated by ";": the first `left` columns (1 when not given)
    # aligned left, the others right.
    function header(titles, left,   t, c, i, rule) {
        c = split(titles, t, ";"); rule = "|"
        for (i = 1; i <= c; i++) rule = rule (i <= (left ? left : 1) ? " --- |" : " ---: |")
        gsub(/;/, " | ", titles); print "| " titles " |"; print rule
    }
    function label(n) {
        if (n == "ping_ours") return "jsonrpc-runtime (ours)"
        if (n == "ping_jsonrpsee") return "jsonrpsee 0.26"
        if (n == "ping_hyper") return "bare hyper 1, fixed bytes"
        if (n == "ping_hyper_auto") return "hyper-util auto + timer + graceful, fixed bytes"
        if (n ~ /^layer-/) return "layer `" substr(n, 7) "`"
        return n
    }
    function layer_of(n) {
        if (n == "ping_hyper") return "hyper"
        if (n == "ping_hyper_auto") return "graceful"
        if (n ~ /^layer-/) return substr(n, 7)
        return ""
    }
    # layers.tsv: what each layer adds.
    FILENAME ~ /layers.tsv$/ { adds[$1] = $2; next }
    { key = $1 SUBSEP $2; rps[key] = $3; cps[key] = $4; p50[key] = $5; p99[key] = $6; cpu[key] = $7; rss[key] = $8; seen[$1 SUBSEP $2] = 1 }
    END {
        n = split(order, names, " ")
        if (mode == "ping") {
            h = "ping" SUBSEP "ping_hyper"; a = "ping" SUBSEP "ping_hyper_auto"
            header("server;ping req/s;vs hyper;vs hyper-auto;CPU µs/call;vs hyper;vs hyper-auto;p50;p99;peak RSS")
            for (i = 1; i <= n; i++) {
                k = "ping" SUBSEP names[i]
                printf "| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %.1f MiB |\n", label(names[i]), commas(rps[k]),
                    ratio(rps[k], rps[h]), ratio(rps[k], rps[a]), cpu[k], ratio(cpu[k], cpu[h]), ratio(cpu[k], cpu[a]),
                    us(p50[k]), us(p99[k]), rss[k] / 1024
            }
        } else if (mode == "batch") {
            j = "batch" SUBSEP "ping_jsonrpsee"
            header("server;calls/s;vs jsonrpsee;CPU µs/call;vs jsonrpsee;p50;p99;peak RSS")
            for (i = 1; i <= n; i++) {
                k = "batch" SUBSEP names[i]
                printf "| %s | %s | %s | %.3f | %s | %s | %s | %.1f MiB |\n", label(names[i]), commas(cps[k]),
                    ratio(cps[k], cps[j]), cpu[k], ratio(cpu[k], cpu[j]), us(p50[k]), us(p99[k]), rss[k] / 1024
            }
        } else if (mode == "latency") {
            h = "ping" SUBSEP "ping_hyper"
            header("server, one connection;p50;vs hyper;p99;req/s;CPU µs/call")
            for (i = 1; i <= n; i++) {
                k = "ping" SUBSEP names[i]
                printf "| %s | %s | %s | %s | %s | %.2f |\n", label(names[i]), us(p50[k]), ratio(p50[k], p50[h]),
                    us(p99[k]), commas(rps[k]), cpu[k]
            }
        } else if (mode == "layers") {
            header("step;server;adds;req/s;Δ req/s;CPU µs/call;Δ CPU µs;CPU over hyper;p50", 3)
            first = "ping" SUBSEP names[1]
            for (i = 1; i <= n; i++) {
                k = "ping" SUBSEP names[i]; l = layer_of(names[i])
                what = (l != "") ? adds[l] : (names[i] == "ping_ours" ? "the full Server: connection registry and idle clock, connection limit and budget, write timeout, its own shutdown watch" : "")
                if (i == 1) { drps = "–"; dcpu = "–"; over = "–" } else {
                    drps = signed((rps[k] / rps[prev] - 1) * 100, "%.1f %%"); dcpu = signed(cpu[k] - cpu[prev], "%.2f")
                    over = signed(cpu[k] - cpu[first], "%.2f")
                }
                printf "| %d | `%s` | %s | %s | %s | %.2f | %s | %s | %s |\n", i - 1, names[i], what, commas(rps[k]), drps, cpu[k], dcpu, over, us(p50[k])
                prev = k
            }
        } else if (mode == "headline") {
            if (!(("ping" SUBSEP "ping_ours") in seen)) exit
            for (w = 1; w <= 2; w++) {
                wl = (w == 1) ? "ping" : "batch"
                o = wl SUBSEP "ping_ours"
                if (!(o in seen)) continue
                line = ""
                m = split("ping_hyper ping_hyper_auto ping_jsonrpsee", refs, " ")
                for (r = 1; r <= m; r++) {
                    k = wl SUBSEP refs[r]
                    if (!(k in seen)) continue
                    line = line sprintf("%sours / %s: %s calls/s, %s CPU per call", (line == "" ? "" : "; "),
                        (refs[r] == "ping_hyper_auto" ? "hyper-auto" : substr(refs[r], 6)), ratio(cps[o], cps[k]), ratio(cpu[o], cpu[k]))
                }
                if (line != "") printf "- **%s**: %s\n", wl, line
            }
        }
    }' "$WORK/layers.tsv" "$MEDIANS"
}

how="wrk -t$THREADS -c$CONNECTIONS -d$DURATION, medians of $ROUNDS rounds, load average $load_before before, $load_after after"
if [ "$LAYERS" = 1 ]; then
    echo
    echo "### The layers, ping, one call per POST ($how)"
    echo
    table layers
    echo
    echo "Δ: against the step above; CPU over hyper: against step 0."
elif [ "$CONNECTIONS" = 1 ]; then
    echo
    echo "### ping over one connection: latency ($how)"
    echo
    table latency
else
    for workload in "${WORKLOADS[@]}"; do
        echo
        case $workload in
        ping) echo "### ping, one call per POST ($how)" ;;
        batch) echo "### batch of $BATCH pings per POST ($how)" ;;
        esac
        echo
        table "$workload"
    done
    echo
    echo "### Headline"
    echo
    table headline
fi
errors=$(awk -F'\t' '{s += $10} END {print s + 0}' "$RESULTS")
if [ "$errors" -gt 0 ]; then echo "!! wrk counted $errors errors (see the per-run lines)"; fi
mkdir -p target
cp "$RESULTS" target/load-results.tsv
echo
echo "(every run: bench/target/load-results.tsv)"
