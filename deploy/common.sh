# shellcheck shell=bash
# Shared by deploy/nginx/run.sh and deploy/rolling-restart.sh: the nginx configuration, the
# instances, their health. Source it after setting `say` and `die`; it sets `repo` and `work`
# (a scratch directory, also nginx's prefix) and a trap that stops everything it started and
# removes `work` on exit (set KEEP_WORK=1 to keep it, logs and all).

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/jsonrpc-deploy.XXXXXX")"
# nginx's workers run as `nobody` when nginx is started as root: they must reach the prefix.
chmod 755 "$work"
mkdir -p "$work/logs" "$work/tmp"

# The pid of the instance on each port, of nginx, and of anything else to stop on exit.
declare -A instance_pid=()
nginx_pid=""
other_pids=()

# On exit: SIGTERM to everything, and a second one to the instances, which then skip their
# drain (nothing is left to drain by then).
stop_everything() {
    local pid
    for pid in "${other_pids[@]}" "${instance_pid[@]}" $nginx_pid; do
        kill "$pid" 2>/dev/null || true
    done
    sleep 0.2
    for pid in "${instance_pid[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${other_pids[@]}" "${instance_pid[@]}" $nginx_pid; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then
        say "kept $work"
    else
        rm -rf "$work"
    fi
}
trap stop_everything EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Whether TCP port $1 is free: no socket has it as its local port (/proc/net/tcp and tcp6 list
# them in hex).
port_free() {
    local hex
    hex="$(printf ':%04X' "$1")"
    ! awk -v port="$hex" 'substr($2, length($2) - 4) == port { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints a base port B such that B..B+3 are free, below the ephemeral range (where outgoing
# connections take their ports), chosen at random so that two runs do not clash.
free_ports() {
    local base n
    for _ in $(seq 1 50); do
        base=$((20000 + (RANDOM % 1000) * 10))
        for n in 0 1 2 3; do
            port_free $((base + n)) || continue 2
        done
        printf '%s\n' "$base"
        return 0
    done
    die "found no four free ports"
}

# Prints the time in milliseconds.
now_ms() {
    local now="${EPOCHREALTIME/[.,]/}"
    printf '%s\n' "$((now / 1000))"
}

# Prints the directory cargo builds into (CARGO_TARGET_DIR, or the workspace's target/).
target_dir() {
    cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# Writes nginx.conf into the prefix: listening on $1, in front of $2, $3 and $4 (host:port).
write_nginx_conf() {
    sed -e "s/@LISTEN@/$1/" -e "s/@UPSTREAM_1@/$2/" -e "s/@UPSTREAM_2@/$3/" \
        -e "s/@UPSTREAM_3@/$4/" "$repo/deploy/nginx/nginx.conf" >"$work/nginx.conf"
}

# Starts nginx in the foreground of a background job, from the prefix, and waits until it
# answers on port $1.
start_nginx() {
    command -v nginx >/dev/null || die "nginx not found (on Debian: apt-get install nginx)"
    nginx -p "$work" -c "$work/nginx.conf" -e stderr -t -q || die "nginx rejected its configuration"
    nginx -p "$work" -c "$work/nginx.conf" -e stderr -g 'daemon off;' \
        2>>"$work/logs/error.log" &
    nginx_pid=$!
    wait_listening "$1" || die "nginx does not listen on port $1 (see $work/logs/error.log)"
}

# Starts the server binary $1 on 127.0.0.1:$2 with the health path /health and the drain
# delay $3 (ms), its output appended to logs/instance-$2.log.
start_instance() {
    "$1" "127.0.0.1:$2" --health /health --drain-delay "$3" \
        >>"$work/logs/instance-$2.log" 2>&1 &
    instance_pid[$2]=$!
}

# Waits until something accepts connections on 127.0.0.1:$1 (10 s at most).
wait_listening() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Prints the status code of GET /health on 127.0.0.1:$1, or nothing when it cannot connect.
health_status() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
        printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' \
            "$1" >&3
        read -r -t 2 _ status _ <&3 && printf '%s\n' "$status"
    ) 2>/dev/null || true
}

# Waits until the instance on port $1 answers 200 on its health path (20 s at most).
wait_healthy() {
    for _ in $(seq 1 200); do
        [[ "$(health_status "$1")" == 200 ]] && return 0
        sleep 0.1
    done
    return 1
}
