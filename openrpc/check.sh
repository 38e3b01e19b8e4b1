#!/usr/bin/env bash
# The OpenRPC document of examples/spec_server, checked by third-party tools against the running
# server:
#   1. validate.mjs: the document `rpc.discover` answers validates against the OpenRPC
#      meta-schema (@open-rpc/schema-utils-js), its references resolve inside it, and it keeps
#      the rules the specification states in prose;
#   2. coverage.mjs: @open-rpc/test-coverage calls every method with params generated from the
#      document's schemas, by position and by name, and checks each answer against the
#      document (a result matching the result schema, or an error the method declares).
# Needs Node 20+ and npm (the npm registry, for `npm ci`); nothing else leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
    echo "openrpc/check.sh needs Node 20 or later (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
fi

echo "-- npm ci (openrpc/package-lock.json)"
(cd openrpc && npm ci --no-audit --no-fund --loglevel=error)

echo "-- cargo build --example spec_server"
cargo build --quiet --example spec_server

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the system picks a free port, and the server prints the address it got.
target/debug/examples/spec_server 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's#^listening on \(http://[^ ]*\)$#\1#p' "$work/server.out")
    if [ -n "$url" ]; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "spec_server did not start:" >&2
    cat "$work/server.out" "$work/server.err" >&2
    exit 1
fi
echo "-- spec_server listening on $url"

status=0
echo "-- validate: rpc.discover against the OpenRPC meta-schema (@open-rpc/schema-utils-js)"
if ! node openrpc/validate.mjs "$url" "$work/openrpc.json"; then
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "-- test-coverage: every method called as the document describes it"
    if ! node openrpc/coverage.mjs "$url" "$work/openrpc.json"; then
        status=1
    fi
fi

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "spec_server exited during the checks:" >&2
    tail -n 20 "$work/server.err" >&2
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "== openrpc: document valid, every method callable as documented"
else
    echo "== openrpc: FAILED (see above)" >&2
fi
exit "$status"
