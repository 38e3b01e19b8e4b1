#!/usr/bin/env bash
# Interop test: the seed's own Python client (jsonrpcclient 3) against examples/ping_server.
#
#   bash interop/run.sh
#
# Makes (or reuses) a venv with interop/requirements.txt, builds and starts the example
# server on a free loopback port, runs interop/test_seed_client.py against it, stops the
# server, and exits with the tests' status.
#
# Environment: INTEROP_VENV (default target/interop-venv), PYTHON (default python3),
# INTEROP_WAIT_SECONDS (default 30: how long the server may take to answer).
set -euo pipefail

say() { printf 'interop: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_venv


# --- Rust side --------------------------------------------------------------------------
say "building examples/ping_server"
server_bin="$(example_binary ping_server)"
serve_ping() { exec "$server_bin" "127.0.0.1:$1"; }
start_server serve_ping

# --- the tests --------------------------------------------------------------------------
status=0
JSONRPC_URL="$url" "$py" "$repo/interop/test_seed_client.py" -v || status=$?
if [[ $status -ne 0 ]]; then
    say "the server's output:"
    cat "$log" >&2
fi
exit "$status"
