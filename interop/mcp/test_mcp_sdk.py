"""The official MCP Python SDK against examples/mcp_server (interop/stdio.sh runs it).

    python interop/mcp/test_mcp_sdk.py PATH/TO/mcp_server

1. The SDK (`stdio_client` + `ClientSession`) spawns the server: initialize, ping, list the
   tools, call `ping` and `add`, a tool error and an unknown tool.
2. Raw lines on the server's stdin, without the SDK: the version negotiation for every
   revision with the initialize handshake (and one the server does not know), that stdout
   carries nothing but JSON-RPC, and that the end of stdin ends the server with status 0.

Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`, and the
exit status is 1 if any check failed. Every wait has a timeout, so nothing hangs.
"""

import json
import subprocess
import sys
import traceback

import anyio
import mcp
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

SERVER = sys.argv[1] if len(sys.argv) > 1 else "target/debug/examples/mcp_server"
# How long any one step may take.
STEP = 15.0
# The protocol revisions the server speaks (examples/mcp_server.rs), newest first.
SERVER_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

passed = 0
failed = 0


class Fail(Exception):
    """A check's failure, with why."""


def expect(what, got, want):
    if got != want:
        raise Fail(f"{what}: expected {want!r}, got {got!r}")


def report(name, error=None):
    global passed, failed
    if error is None:
        passed += 1
        print(f"ok {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {error}", flush=True)


# The SDK's models name their fields in snake_case from 2.0 on, in camelCase before: the
# checks read either, so that they run against 1.x too.
MCPError = getattr(mcp, "MCPError", None) or getattr(mcp, "McpError")


def field(model, snake):
    if hasattr(model, snake):
        return getattr(model, snake)
    head, *rest = snake.split("_")
    return getattr(model, head + "".join(part.title() for part in rest))


def texts(result):
    return [block.text for block in result.content if getattr(block, "type", None) == "text"]


# --- 1. the SDK -------------------------------------------------------------------------
async def sdk_checks():
    params = StdioServerParameters(command=SERVER, args=[])
    with anyio.fail_after(4 * STEP):
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                checks = [
                    ("SDK: initialize", initialize),
                    ("SDK: ping", ping),
                    ("SDK: tools/list lists ping and add with their schemas", list_tools),
                    ("SDK: tools/call ping answers pong", call_ping),
                    ("SDK: tools/call add 2 + 3 is 5, as text and structured", call_add),
                    ("SDK: tools/call add 1.5 + -0.25 is 1.25", call_add_fractions),
                    ("SDK: tools/call add with a string is a tool error", call_add_wrong),
                    ("SDK: tools/call of an unknown tool is error -32602", call_unknown),
                ]
                for name, check in checks:
                    try:
                        with anyio.fail_after(STEP):
                            await check(session)
                        report(name)
                    except Exception as error:  # noqa: BLE001 -- any failure is reported
                        report(name, f"{type(error).__name__}: {error}")
                        if not isinstance(error, Fail):
                            traceback.print_exc(file=sys.stderr)


async def initialize(session):
    result = await session.initialize()
    # The SDK offers its newest handshake revision; the server speaks it and echoes it.
    expect("protocol version", field(result, "protocol_version"), "2025-11-25")
    expect("server name", field(result, "server_info").name, "jsonrpc-runtime-mcp-example")
    if result.capabilities.tools is None:
        raise Fail(f"no tools capability in {result.capabilities!r}")
    if not result.instructions:
        raise Fail("no instructions")


async def ping(session):
    result = await session.send_ping()
    expect("ping's result", result.model_dump(exclude_none=True), {})


async def list_tools(session):
    result = await session.list_tools()
    tools = {tool.name: tool for tool in result.tools}
    expect("tool names", sorted(tools), ["add", "ping"])
    add = tools["add"]
    expect("add's required arguments", field(add, "input_schema").get("required"), ["a", "b"])
    expect("add's output schema type", (field(add, "output_schema") or {}).get("type"), "object")
    expect("next cursor", field(result, "next_cursor"), None)


async def call_ping(session):
    result = await session.call_tool("ping", {})
    expect("is_error", bool(field(result, "is_error")), False)
    expect("texts", texts(result), ["pong"])


async def call_add(session):
    result = await session.call_tool("add", {"a": 2, "b": 3})
    expect("is_error", bool(field(result, "is_error")), False)
    expect("texts", texts(result), ["5"])
    expect("structured content", field(result, "structured_content"), {"sum": 5})


async def call_add_fractions(session):
    result = await session.call_tool("add", {"a": 1.5, "b": -0.25})
    expect("texts", texts(result), ["1.25"])
    expect("structured content", field(result, "structured_content"), {"sum": 1.25})


async def call_add_wrong(session):
    result = await session.call_tool("add", {"a": "two", "b": 3})
    expect("is_error", field(result, "is_error"), True)
    if not any("add takes two numbers" in text for text in texts(result)):
        raise Fail(f"no explanation in {texts(result)!r}")


async def call_unknown(session):
    try:
        result = await session.call_tool("no_such_tool", {})
    except MCPError as error:
        expect("code", error.error.code, -32602)
        expect("message", error.error.message, "Unknown tool: no_such_tool")
    else:
        raise Fail(f"expected an MCPError, got {result!r}")


# --- 2. raw lines -----------------------------------------------------------------------
def initialize_line(id, version):
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "id": id,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        }
    )


def raw_checks():
    asked = [*SERVER_VERSIONS, "1999-01-01"]
    lines = [initialize_line(i, version) for i, version in enumerate(asked)]
    lines.append('{"jsonrpc":"2.0","method":"notifications/initialized"}')
    lines.append('{"jsonrpc":"2.0","id":"p","method":"ping","params":{"_meta":{"k":1}}}')
    process = subprocess.Popen(
        [SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # Writing every line and closing stdin: the server answers them all, then exits.
        stdout, stderr = process.communicate(("\n".join(lines) + "\n").encode(), timeout=STEP)
        status = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        report("raw: the end of stdin ends the server", f"still running {STEP}s later")
        return
    try:
        expect("exit status", status, 0)
        report("raw: the end of stdin ends the server, with status 0")
    except Fail as error:
        report("raw: the end of stdin ends the server, with status 0", error)

    answers = {}
    try:
        for line in stdout.decode().splitlines():
            message = json.loads(line)
            expect("jsonrpc", message.get("jsonrpc"), "2.0")
            if "id" not in message:
                raise Fail(f"a message that is not an answer: {line}")
            answers[message["id"]] = message
        expect("answered ids", sorted(answers, key=str), sorted([*range(len(asked)), "p"], key=str))
        report("raw: stdout carries one JSON-RPC answer a line and nothing else")
    except (Fail, ValueError) as error:
        report("raw: stdout carries one JSON-RPC answer a line and nothing else", error)
        print(f"  stdout: {stdout[:2000]!r}", file=sys.stderr)
    try:
        if b"initialize" not in stderr:
            raise Fail(f"no log of initialize on stderr: {stderr[:500]!r}")
        report("raw: the logs go to stderr")
    except Fail as error:
        report("raw: the logs go to stderr", error)

    for i, version in enumerate(asked):
        name = f"raw: initialize asking {version} is answered with {version}"
        want = version
        if version not in SERVER_VERSIONS:
            name = f"raw: initialize asking an unknown {version} is answered with the newest"
            want = SERVER_VERSIONS[0]
        try:
            answer = answers.get(i)
            if answer is None or "result" not in answer:
                raise Fail(f"no result: {answer!r}")
            result = answer["result"]
            expect("protocolVersion", result.get("protocolVersion"), want)
            expect("serverInfo.name", result["serverInfo"].get("name"), "jsonrpc-runtime-mcp-example")
            if not isinstance(result.get("capabilities", {}).get("tools"), dict):
                raise Fail(f"no tools capability: {result!r}")
            report(name)
        except (Fail, KeyError, TypeError) as error:
            report(name, error)
    try:
        expect("ping with _meta", answers.get("p", {}).get("result"), {})
        report("raw: ping with _meta answers {}")
    except Fail as error:
        report("raw: ping with _meta answers {}", error)


def main():
    try:
        anyio.run(sdk_checks)
    except Exception as error:  # noqa: BLE001 -- a crash of the session counts as a failure
        report("SDK: the session ran to its end", f"{type(error).__name__}: {error}")
        traceback.print_exc(file=sys.stderr)
    raw_checks()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
