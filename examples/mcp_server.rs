//! A Model Context Protocol server over stdio: every MCP method is an ordinary `#[method]`, and
//! one line serves them as MCP's stdio transport asks (one JSON text per line on stdin and
//! stdout, logs on stderr).
//!
//! It offers two tools: `ping`, which answers `pong`, and `add`, which adds two numbers.
//!
//! ```sh
//! cargo build --example mcp_server
//! # Any MCP client can spawn it, e.g. the MCP Inspector:
//! npx @modelcontextprotocol/inspector target/debug/examples/mcp_server
//! # or by hand, one message per line:
//! printf '%s\n' \
//!   '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}' \
//!   '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
//!   '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}' \
//!   | cargo run -q --example mcp_server
//! ```
//!
//! `interop/stdio.sh` drives it with the official MCP Python SDK.

use jsonrpc_runtime::stream::Framing;
use jsonrpc_runtime::{method, Error, Params};
use serde::Deserialize;
use serde_json::{json, Value};

/// The protocol revisions this server speaks, newest first. All of them have the same
/// `initialize` handshake and tool methods.
const PROTOCOL_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The params of `initialize`. MCP names its fields in camelCase; fields this server does not
/// read (and any that later revisions add) are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitializeParams {
    protocol_version: String,
    client_info: Option<Value>,
}

/// The handshake: answers with the protocol version the client asked for when this server
/// speaks it (else with its newest, and the client decides), its capabilities and its name.
#[method]
fn initialize(params: Params<InitializeParams>) -> Value {
    let asked = params.protocol_version.as_str();
    let version = PROTOCOL_VERSIONS
        .into_iter()
        .find(|known| *known == asked)
        .unwrap_or(PROTOCOL_VERSIONS[0]);
    tracing::info!(asked, version, client = ?params.client_info, "initialize");
    json!({
        "protocolVersion": version,
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "jsonrpc-runtime-mcp-example", "version": env!("CARGO_PKG_VERSION") },
        "instructions": "Two tools: `ping` answers pong, `add` adds two numbers.",
    })
}

/// The client's notification that the handshake is done. A notification: never answered.
///
/// Every MCP request or notification may carry `_meta`; the methods here accept it and let it
/// be.
#[method(name = "notifications/initialized")]
fn initialized(_meta: Option<Value>) {
    tracing::info!("the client is initialized");
}

/// MCP's liveness check: answers an empty object.
#[method]
fn ping(_meta: Option<Value>) -> Value {
    json!({})
}

/// The tools, each with the JSON Schema of its arguments (and of `add`'s structured result).
#[method(name = "tools/list")]
fn list_tools(cursor: Option<String>, _meta: Option<Value>) -> Value {
    let _ = cursor; // One page holds every tool.
    json!({
        "tools": [
            {
                "name": "ping",
                "description": "Answers pong.",
                "inputSchema": { "type": "object", "properties": {} },
            },
            {
                "name": "add",
                "description": "Adds two numbers.",
                "inputSchema": {
                    "type": "object",
                    "properties": { "a": { "type": "number" }, "b": { "type": "number" } },
                    "required": ["a", "b"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": { "sum": { "type": "number" } },
                    "required": ["sum"],
                },
            },
        ]
    })
}

/// The arguments of the `add` tool.
#[derive(Deserialize)]
struct AddArgs {
    a: f64,
    b: f64,
}

/// Runs a tool. An unknown tool is a protocol error (-32602); arguments the tool cannot use are
/// a tool error (`isError: true`), which the client shows to its model.
#[method(name = "tools/call")]
fn call_tool(name: String, arguments: Option<Value>, _meta: Option<Value>) -> Result<Value, Error> {
    let arguments = arguments.unwrap_or_else(|| json!({}));
    match name.as_str() {
        "ping" => Ok(text("pong")),
        "add" => Ok(match serde_json::from_value::<AddArgs>(arguments) {
            Ok(AddArgs { a, b }) if (a + b).is_finite() => {
                let sum = a + b;
                json!({
                    "content": [{ "type": "text", "text": sum.to_string() }],
                    "structuredContent": { "sum": sum },
                })
            }
            Ok(_) => tool_error("the sum is too large"),
            Err(error) => tool_error(&format!("add takes two numbers, `a` and `b`: {error}")),
        }),
        other => Err(Error::new(-32602, format!("Unknown tool: {other}"))),
    }
}

/// A tool result of one text.
fn text(text: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": text }] })
}

/// A tool result that reports a failure.
fn tool_error(message: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": message }], "isError": true })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // stdout carries the protocol: logs go to stderr, and nothing else may print.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    jsonrpc_runtime::serve_stdio(Framing::Lines).await
}
