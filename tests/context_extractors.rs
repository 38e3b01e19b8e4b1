//! Request context extractors (`RequestId`, `MethodName`, `Headers`, `PeerAddr`, `Extension<T>`)
//! through the built-in server, beside params and state; and `examples/state_and_context.rs`.

#[path = "../examples/state_and_context.rs"]
#[allow(dead_code)]
mod state_and_context;
mod support;

use std::sync::{Arc, Mutex};

use jsonrpc_runtime::{
    method, Dispatcher, Extension, Headers, MethodName, Methods, PeerAddr, RequestId, RequestParts,
    Server, State,
};
use serde_json::json;
use support::{call, notification, post, post_with, within, Running};

/// One call `remember_id` saw: the id as JSON, and whether the call was a notification.
type SeenId = (Option<String>, bool);

/// The calls `remember_id` saw.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<SeenId>>>);

#[method]
fn echo_id(id: RequestId) -> Option<String> {
    id.as_json().map(str::to_owned)
}

#[method]
fn remember_id(id: RequestId, seen: State<Seen>) {
    let entry = (id.as_json().map(str::to_owned), id.is_notification());
    seen.0.lock().unwrap().push(entry);
}

#[method(name = "ctx.method_name")]
fn method_name(name: MethodName) -> String {
    name.0
}

#[method]
fn header(headers: Headers, name: String) -> Option<String> {
    headers
        .0
        .get(name.as_str())
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[method]
fn peer(peer: PeerAddr) -> Option<String> {
    peer.0.map(|addr| addr.to_string())
}

#[derive(Clone)]
struct Tenant(#[allow(dead_code)] String);

#[method]
fn tenant(tenant: Extension<Tenant>) -> String {
    tenant.0 .0
}

/// Context arguments between params: they are not params, by position or by name.
#[method]
fn greet(
    id: RequestId,
    name: String,
    method: MethodName,
    punctuation: Option<String>,
    peer: PeerAddr,
) -> String {
    format!(
        "{} {name}{} ({}, {})",
        method.0,
        punctuation.as_deref().unwrap_or("."),
        id.as_json().unwrap_or("-"),
        peer.0.is_some(),
    )
}

fn builder() -> jsonrpc_runtime::ServerBuilder {
    Server::builder()
        .state(Seen::default())
        .state(state_and_context::Visits::default())
}

#[tokio::test]
async fn the_request_id_is_the_json_the_client_sent() {
    let server = Running::server(builder()).await;
    for id in ["1", r#""abc""#, "-0.5", "9007199254740993", "null"] {
        let reply = post(server.addr, "/", &call("echo_id", "[]", id)).await;
        assert_eq!(reply.result(), json!(id), "id {id}");
    }
    // In a batch, each call sees its own id.
    let batch = format!(
        "[{},{}]",
        call("echo_id", "[]", "10"),
        call("echo_id", "[]", r#""eleven""#)
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(
        reply.json(),
        json!([
            {"jsonrpc": "2.0", "result": "10", "id": 10},
            {"jsonrpc": "2.0", "result": "\"eleven\"", "id": "eleven"},
        ])
    );
}

#[tokio::test]
async fn a_notification_has_no_request_id() {
    let seen = Seen::default();
    let server = Running::server(builder().state(seen.clone())).await;
    let reply = post(server.addr, "/", &notification("remember_id", "[]")).await;
    assert_eq!(reply.status, 204);
    let batch = format!(
        "[{},{}]",
        notification("remember_id", "[]"),
        call("remember_id", "[]", r#""x""#)
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(reply.json()[0]["id"], "x");
    let mut seen = seen.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            (None, true),
            (None, true),
            (Some(r#""x""#.to_owned()), false)
        ]
    );
}

#[tokio::test]
async fn the_method_name_is_the_name_called() {
    let server = Running::server(builder()).await;
    let reply = post(server.addr, "/", &call("ctx.method_name", "[]", "1")).await;
    assert_eq!(reply.result(), "ctx.method_name");
}

#[tokio::test]
async fn headers_are_the_http_requests() {
    let server = Running::server(builder()).await;
    let reply = post_with(
        server.addr,
        "/",
        &[("x-tenant", "acme"), ("x-trace", "t-1")],
        &call("header", r#"["x-tenant"]"#, "1"),
    )
    .await;
    assert_eq!(reply.result(), "acme");
    let reply = post_with(
        server.addr,
        "/",
        &[("x-trace", "t-2")],
        &call("header", r#"{"name":"x-trace"}"#, "2"),
    )
    .await;
    assert_eq!(reply.result(), "t-2");
    let reply = post(server.addr, "/", &call("header", r#"["x-tenant"]"#, "3")).await;
    assert_eq!(reply.result(), json!(null));
}

#[tokio::test]
async fn the_peer_address_is_the_clients() {
    let server = Running::server(builder()).await;
    let reply = post(server.addr, "/", &call("peer", "[]", "1")).await;
    let peer: std::net::SocketAddr = reply.result().as_str().unwrap().parse().unwrap();
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    // The very connection the request went over.
    assert_eq!(peer, reply.client_addr);
}

#[tokio::test]
async fn a_missing_extension_is_an_internal_error() {
    // The built-in server has no layers, so nothing puts a `Tenant` into the request.
    let server = Running::server(builder()).await;
    let reply = post(server.addr, "/", &call("tenant", "[]", "1")).await;
    assert_eq!(reply.error().0, -32603);
    let data = reply.json()["error"]["data"].as_str().unwrap().to_owned();
    assert!(data.contains("Tenant"), "{data}");
}

#[tokio::test]
async fn an_extension_reaches_the_method_through_dispatch_with() {
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(tenant::METHOD).with(peer::METHOD))
        .build()
        .unwrap();
    let mut parts = RequestParts::default();
    parts.extensions.insert(Tenant("acme".to_owned()));
    parts.peer = Some("10.0.0.1:4242".parse().unwrap());
    let body = format!(
        "[{},{}]",
        call("tenant", "[]", "1"),
        call("peer", "[]", "2")
    );
    let response = within(
        "a dispatch",
        dispatcher.dispatch_with(body.as_bytes(), Some(&parts)),
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&response).unwrap(),
        json!([
            {"jsonrpc": "2.0", "result": "acme", "id": 1},
            {"jsonrpc": "2.0", "result": "10.0.0.1:4242", "id": 2},
        ])
    );
    // Without a transport, there are no headers and no peer.
    let response = dispatcher
        .dispatch(call("peer", "[]", "3").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        response,
        br#"{"jsonrpc":"2.0","result":null,"id":3}"#.to_vec()
    );
}

#[tokio::test]
async fn context_arguments_are_not_params() {
    let server = Running::server(builder()).await;
    let reply = post(server.addr, "/", &call("greet", r#"["Ann"]"#, "1")).await;
    assert_eq!(reply.result(), "greet Ann. (1, true)");
    let reply = post(
        server.addr,
        "/",
        &call("greet", r#"{"punctuation":"!","name":"Bo"}"#, "2"),
    )
    .await;
    assert_eq!(reply.result(), "greet Bo! (2, true)");
    // Two params are declared: a third positional one is too many, and an argument's name that
    // is context, not a param, is unknown by name.
    let reply = post(server.addr, "/", &call("greet", r#"["A","!","x"]"#, "3")).await;
    assert_eq!(reply.error().0, -32602);
    let reply = post(
        server.addr,
        "/",
        &call("greet", r#"{"name":"A","peer":"x"}"#, "4"),
    )
    .await;
    assert_eq!(reply.error().0, -32602);
}

#[tokio::test]
async fn the_state_and_context_example_counts_and_describes_each_call() {
    let server = Running::server(builder()).await;
    let first = post_with(
        server.addr,
        "/",
        &[("user-agent", "context-test/1")],
        &call("visit", r#"["hello"]"#, r#""a1""#),
    )
    .await;
    assert_eq!(
        first.result(),
        json!({
            "number": 1,
            "note": "hello",
            "id": "\"a1\"",
            "method": "visit",
            "peer": first.client_addr.to_string(),
            "user_agent": "context-test/1",
        })
    );
    let second = post(server.addr, "/", &call("visit", "[]", "2")).await;
    let second = second.result();
    assert_eq!(second["number"], 2);
    assert_eq!(second["note"], json!(null));
    assert_eq!(second["id"], "2");
}

#[tokio::test]
async fn the_example_server_builder_serves_with_its_state() {
    // `state_and_context::server()` is what the example's `main` binds; this binary also has
    // methods that need a `Seen`, so add it.
    let server = Running::server(state_and_context::server().state(Seen::default())).await;
    let reply = post(server.addr, "/", &call("visit", "[]", "1")).await;
    assert_eq!(reply.result()["number"], 1);
}
