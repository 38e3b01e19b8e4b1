#!/usr/bin/env bash
# Interop over stdio (issue 12): real clients spawn our example servers as child processes.
#
#   bash interop/stdio.sh
#
# 1. The official MCP Python SDK (`mcp` on PyPI, pinned in interop/mcp/requirements.txt, in a
#    venv of its own) drives examples/mcp_server (newline framing):
#    interop/mcp/test_mcp_sdk.py.
# 2. vscode-jsonrpc (npm, pinned in interop/lsp/package-lock.json, installed with `npm ci`;
#    Node 20 or later) drives examples/lsp_server (Content-Length framing), answering the
#    server's `workspace/configuration` requests: interop/lsp/test_vscode_jsonrpc.mjs.
# Every check prints `ok`/`FAIL`; the last line is `N passed, N failed` over all of them, and
# the exit status is 1 if any failed.
#
# Environment: MCP_INTEROP_VENV (default target/interop-mcp-venv), PYTHON (default python3).
set -euo pipefail

say() { printf 'stdio-interop: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

started_at=$SECONDS

# The MCP SDK's venv is not the other interop scripts' one: its pins (pydantic, anyio,
# jsonschema 4...) would clash with the seed client's (jsonschema 3).
venv="${MCP_INTEROP_VENV:-$repo/target/interop-mcp-venv}"
requirements="$repo/interop/mcp/requirements.txt"
ensure_venv

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[[ "$node_major" -ge 20 ]] \
    || die "needs Node 20 or later (found: $(node --version 2>/dev/null || echo none))"
say "npm ci (interop/lsp/package-lock.json)"
(cd "$repo/interop/lsp" && npm ci --no-audit --no-fund --loglevel=error >&2) \
    || die "npm ci in interop/lsp failed"

say "building examples/mcp_server and examples/lsp_server"
mcp_bin="$(example_binary mcp_server)"
lsp_bin="$(example_binary lsp_server)"

passed=0
failed=0

suite "the MCP Python SDK against examples/mcp_server" \
    "$py" "$repo/interop/mcp/test_mcp_sdk.py" "$mcp_bin"
suite "vscode-jsonrpc against examples/lsp_server" \
    node "$repo/interop/lsp/test_vscode_jsonrpc.mjs" "$lsp_bin"

say "took $((SECONDS - started_at))s"
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
