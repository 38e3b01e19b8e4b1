#!/usr/bin/env bash
# nginx in front of three spec_server instances, all in the foreground: Ctrl-C stops them all.
#
#     bash deploy/nginx/run.sh            # nginx on 127.0.0.1:7100, instances on 7101-7103
#
# Environment: PORT (default 7100; the instances take the next three ports), SERVER (a server
# binary that takes spec_server's arguments; by default `cargo build --release --example
# spec_server`), DRAIN_DELAY_MS (default 5000), KEEP_WORK=1 keeps the logs after the exit.
set -euo pipefail

say() { printf 'run.sh: %s\n' "$*"; }
die() {
    printf 'run.sh: %s\n' "$*" >&2
    exit 1
}

# shellcheck source=deploy/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
cd "$repo"

listen="${PORT:-7100}"
ports=($((listen + 1)) $((listen + 2)) $((listen + 3)))
for port in "$listen" "${ports[@]}"; do
    port_free "$port" || die "port $port is taken (choose others with PORT=...)"
done
if [[ -n "${SERVER:-}" ]]; then
    server="$SERVER"
else
    say "building spec_server (release)"
    cargo build -q --release --example spec_server
    server="$(target_dir)/release/examples/spec_server"
fi
[[ -x "$server" ]] || die "$server is not an executable"

write_nginx_conf "127.0.0.1:$listen" "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
    "127.0.0.1:${ports[2]}"
for port in "${ports[@]}"; do
    start_instance "$server" "$port" "${DRAIN_DELAY_MS:-5000}"
done
for port in "${ports[@]}"; do
    wait_healthy "$port" || die "the instance on port $port is not healthy (see $work/logs)"
done
start_nginx "$listen"

cat <<EOF

JSON-RPC over HTTP:  http://127.0.0.1:$listen/     (POST)
WebSocket:           ws://127.0.0.1:$listen/
Instances:           ${ports[*]/#/127.0.0.1:}
  pids               ${instance_pid[${ports[0]}]} ${instance_pid[${ports[1]}]} ${instance_pid[${ports[2]}]}
  health             curl -i http://127.0.0.1:${ports[0]}/health
Logs:                $work/logs (nginx's access.log names the instance of each request)

Try: cargo run --example client -- http://127.0.0.1:$listen/ subtract '[42, 23]'
Restart one without losing a call: kill -TERM ${instance_pid[${ports[0]}]} (it drains and exits 0),
then start it again: $server 127.0.0.1:${ports[0]} --health /health
Ctrl-C stops everything.

EOF

# Until Ctrl-C, or until nginx exits (an instance may be restarted by hand meanwhile).
status=0
wait "$nginx_pid" || status=$?
nginx_pid=""
say "nginx exited (status $status); stopping the instances"
exit "$status"
