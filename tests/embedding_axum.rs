//! JSON-RPC mounted in an axum application (`examples/axum_app.rs`), through real HTTP: the REST
//! route and `/rpc` share one listener, the auth layer's user reaches the method through
//! `Extension<T>`, and axum's graceful shutdown stops both.

#[path = "../examples/axum_app.rs"]
#[allow(dead_code)]
mod axum_app;
mod support;

use std::time::Duration;

use axum::http::StatusCode;
use support::{call, get, notification, post, post_request, post_with, send_h2, within, Running};

const WHOAMI: &str = r#"{"jsonrpc":"2.0","method":"whoami","id":1}"#;

#[tokio::test]
async fn the_rest_route_and_the_rpc_route_both_answer() {
    let server = Running::axum(axum_app::app()).await;

    let health = get(server.addr, "/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, "ok");

    let rpc = post(server.addr, "/rpc", &call("ping", "[]", "7")).await;
    assert_eq!(rpc.status, StatusCode::OK);
    assert_eq!(rpc.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(rpc.body, r#"{"jsonrpc":"2.0","result":"pong","id":7}"#);

    server.stop().await.expect("a clean shutdown");
}

#[tokio::test]
async fn without_the_auth_header_the_method_answers_its_error() {
    let server = Running::axum(axum_app::app()).await;
    let reply = post(server.addr, "/rpc", WHOAMI).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"unauthorized"},"id":1}"#
    );
}

#[tokio::test]
async fn an_unknown_token_or_scheme_is_no_user() {
    let server = Running::axum(axum_app::app()).await;
    for header in [
        "Bearer mallory-token",
        "Basic YWxpY2U6c2VjcmV0",
        "alice-token",
    ] {
        let reply = post_with(server.addr, "/rpc", &[("authorization", header)], WHOAMI).await;
        assert_eq!(
            reply.error(),
            (axum_app::UNAUTHORIZED.into(), "unauthorized".to_owned()),
            "{header}"
        );
    }
}

#[tokio::test]
async fn with_the_auth_header_the_method_sees_the_user() {
    let server = Running::axum(axum_app::app()).await;
    let alice = post_with(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer alice-token")],
        WHOAMI,
    )
    .await;
    assert_eq!(alice.body, r#"{"jsonrpc":"2.0","result":"alice","id":1}"#);

    // Each request carries its own user, also in a batch on one request.
    let batch = format!(
        "[{},{}]",
        call("whoami", "[]", "1"),
        call("whoami", "[]", "2")
    );
    let bob = post_with(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer bob-token")],
        &batch,
    )
    .await;
    assert_eq!(
        bob.json(),
        serde_json::json!([
            {"jsonrpc": "2.0", "result": "bob", "id": 1},
            {"jsonrpc": "2.0", "result": "bob", "id": 2},
        ])
    );
}

#[tokio::test]
async fn http2_goes_through_the_same_layers() {
    let server = Running::axum(axum_app::app()).await;
    let request = post_request(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer alice-token")],
        WHOAMI,
    );
    let reply = send_h2(server.addr, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, r#"{"jsonrpc":"2.0","result":"alice","id":1}"#);
}

#[tokio::test]
async fn a_notification_gets_204_and_other_verbs_are_axums_405() {
    let server = Running::axum(axum_app::app()).await;
    let reply = post(server.addr, "/rpc", &notification("ping", "[]")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());

    // `post_service` routes only POST; axum answers the rest.
    let reply = get(server.addr, "/rpc").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    // An unknown path is axum's 404, not a JSON-RPC error.
    let reply = post(server.addr, "/nope", WHOAMI).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_peer_address_comes_from_axums_connect_info() {
    use jsonrpc_runtime::{method, PeerAddr};

    /// Reports the peer address the method sees.
    #[method]
    fn peer(peer: PeerAddr) -> Option<String> {
        peer.0.map(|addr| addr.to_string())
    }

    // The example's layers, around a set with this test's method.
    let dispatcher = jsonrpc_runtime::Dispatcher::builder()
        .methods(jsonrpc_runtime::Methods::new().with(peer::METHOD))
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route(
            "/rpc",
            axum::routing::post_service(jsonrpc_runtime::RpcService::new(dispatcher)),
        )
        .layer(axum::middleware::from_fn(axum_app::peer_addr));
    let server = Running::axum(app).await;
    let reply = post(server.addr, "/rpc", &call("peer", "[]", "1")).await;
    assert_eq!(reply.result(), reply.client_addr.to_string());
}

#[tokio::test]
async fn graceful_shutdown_lets_a_call_in_flight_finish() {
    use jsonrpc_runtime::method;
    use std::sync::atomic::{AtomicBool, Ordering};

    static STARTED: AtomicBool = AtomicBool::new(false);

    #[method]
    async fn slow_echo(ms: u64) -> u64 {
        STARTED.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }

    let dispatcher = jsonrpc_runtime::Dispatcher::builder()
        .methods(jsonrpc_runtime::Methods::new().with(slow_echo::METHOD))
        .build()
        .unwrap();
    let app = axum_app::app().route(
        "/slow",
        axum::routing::post_service(jsonrpc_runtime::RpcService::new(dispatcher)),
    );
    let server = Running::axum(app).await;
    let addr = server.addr;
    let in_flight =
        tokio::spawn(async move { post(addr, "/slow", &call("slow_echo", "[200]", "1")).await });
    // Shut down once the call is running.
    within("the call to start", async {
        while !STARTED.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    server.stop().await.expect("a clean shutdown");
    let reply = in_flight.await.expect("the call completes");
    assert_eq!(reply.result(), 200);
}
