//! `examples/axum_state.rs`: axum's `State` for a REST route and the framework's `State` (as
//! `RpcState`) for a method in one file, and a user extractor, `CurrentUser`, that rejects a
//! call without a valid token with -32001.

#[path = "../examples/axum_state.rs"]
#[allow(dead_code)]
mod axum_state;
mod support;

use axum::http::StatusCode;
use support::{call, get, post, post_with, Running};

#[tokio::test]
async fn both_states_share_the_counter() {
    let server = Running::axum(axum_state::app()).await;
    assert_eq!(get(server.addr, "/visits").await.body, "0");

    let body = call("visit", r#"["/home"]"#, "1");
    let reply = post_with(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer alice-token")],
        &body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.result(), "alice visited /home: visit 1");
    // By name, too: the state and the user are not params.
    let body = call("visit", r#"{"page":"/about"}"#, "2");
    let reply = post_with(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer bob-token")],
        &body,
    )
    .await;
    assert_eq!(reply.result(), "bob visited /about: visit 2");

    let visits = get(server.addr, "/visits").await;
    assert_eq!(visits.status, StatusCode::OK);
    assert_eq!(visits.body, "2");
    server.stop().await.expect("a clean shutdown");
}

#[tokio::test]
async fn current_user_rejects_a_call_without_a_valid_token() {
    let server = Running::axum(axum_state::app()).await;
    let body = call("visit", r#"["/home"]"#, "1");
    let reply = post(server.addr, "/rpc", &body).await;
    assert_eq!(
        reply.body,
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"unauthorized"},"id":1}"#
    );
    let reply = post_with(
        server.addr,
        "/rpc",
        &[("authorization", "Bearer mallory-token")],
        &body,
    )
    .await;
    assert_eq!(
        reply.error(),
        (axum_state::UNAUTHORIZED.into(), "unauthorized".to_owned())
    );
    // The method did not run.
    assert_eq!(get(server.addr, "/visits").await.body, "0");
}
