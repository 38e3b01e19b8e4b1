#!/usr/bin/env bash
# Three full rolling restarts under load, behind nginx: three spec_server instances, a steady
# load of HTTP and WebSocket calls and subscriptions through nginx (examples/rolling_load.rs,
# on this crate's clients), and meanwhile each instance in turn gets SIGTERM, must exit 0, is
# started again on its port and must answer 200 on /health before the next one goes. Fails if
# any call failed or was answered wrongly, any subscription did not resume, or any instance did
# not exit 0.
#
# Environment: ROUNDS (default 3), DRAIN_DELAY_MS (default 5000, the server's default: it must
# stay longer than nginx's upstream keepalive_timeout, 4 s, see nginx/nginx.conf),
# LOAD_ARGS (more arguments for rolling_load, e.g. "--http-tasks 32"), KEEP_WORK=1 keeps the
# scratch directory with the logs. Debug builds: they reuse what `cargo test` built.
set -euo pipefail

say() { printf 'rolling-restart: %s\n' "$*"; }
die() {
    printf 'rolling-restart: %s\n' "$*" >&2
    exit 1
}

rounds="${ROUNDS:-3}"
drain_delay="${DRAIN_DELAY_MS:-5000}"

# Before the trap and scratch directory of common.sh: installing is no part of the run.
if ! command -v nginx >/dev/null; then
    [[ "$(id -u)" == 0 ]] || die "nginx not found: install it (Debian: apt-get install nginx)"
    say "installing nginx"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q nginx >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q nginx >/dev/null; } \
        || die "apt-get install nginx failed"
fi

# shellcheck source=deploy/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$repo"

say "building spec_server and rolling_load"
cargo build -q --example spec_server --example rolling_load
examples="$(target_dir)/debug/examples"
server="$examples/spec_server"
load="$examples/rolling_load"

base="$(free_ports)"
listen=$base
ports=($((base + 1)) $((base + 2)) $((base + 3)))
write_nginx_conf "127.0.0.1:$listen" "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
    "127.0.0.1:${ports[2]}"
for port in "${ports[@]}"; do
    start_instance "$server" "$port" "$drain_delay"
done
for port in "${ports[@]}"; do
    wait_healthy "$port" || die "the instance on port $port is not healthy"
done
start_nginx "$listen"
say "nginx on 127.0.0.1:$listen in front of ports ${ports[*]}; drain delay ${drain_delay} ms"

# shellcheck disable=SC2086 # LOAD_ARGS is split into arguments on purpose.
"$load" "http://127.0.0.1:$listen/" --expect-resumes "$rounds" ${LOAD_ARGS:-} &
load_pid=$!
other_pids+=("$load_pid")
sleep 3

bad_exits=0
for round in $(seq 1 "$rounds"); do
    for port in "${ports[@]}"; do
        started=$(now_ms)
        kill -TERM "${instance_pid[$port]}"
        status=0
        wait "${instance_pid[$port]}" || status=$?
        exited=$(($(now_ms) - started))
        if [[ $status != 0 ]]; then
            bad_exits=$((bad_exits + 1))
        fi
        start_instance "$server" "$port" "$drain_delay"
        wait_healthy "$port" || die "the instance on port $port is not healthy after its restart"
        say "round $round: port $port exited with status $status after $exited ms," \
            "healthy again after $(($(now_ms) - started)) ms"
    done
done

# The subscriptions resume on the last instance restarted: give them time to show it.
sleep 3
kill -TERM "$load_pid"
load_status=0
wait "$load_pid" || load_status=$?
other_pids=()

# A 502 for a WebSocket handshake is retried by the client; for a POST it is a failed call,
# which rolling_load counts.
gateway_errors="$(grep -c ' 50[24] upstream=' "$work/logs/access.log" || true)"
say "nginx answered $gateway_errors requests with 502 or 504"
if [[ $load_status != 0 || $bad_exits != 0 ]]; then
    say "nginx's errors:"
    grep -E '\[(error|crit|alert|emerg)\]' "$work/logs/error.log" | tail -n 20 >&2 || true
    die "FAILED: rolling_load exited $load_status, $bad_exits instances did not exit 0"
fi
say "OK: $rounds rolling restarts, no call lost (the script took ${SECONDS} s)"
