//! The health check: opt-in, on the server's own port, 200 while serving, 503 while draining or
//! when the readiness hook says no.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{read_response, RawResponse, TestServer};
use jsonrpc_runtime::{method, Server};
use tokio::io::AsyncWriteExt;

#[method]
fn ping() -> &'static str {
    "pong"
}

const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

/// `METHOD path` on a new connection, with no body.
async fn request(server: &TestServer, method: &str, path: &str) -> RawResponse {
    let mut connection = server.connect().await;
    let request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(&mut connection))
        .await
        .expect("an answer within 5 s")
}

/// The status line of `HEAD path` (a HEAD answer has no body to read).
async fn head_status(server: &TestServer, path: &str) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut connection = server.connect().await;
    let request = format!("HEAD {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(5), connection.read_line(&mut line))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    line.trim_end().to_owned()
}

#[tokio::test]
async fn there_is_no_health_path_unless_asked_for() {
    let server = TestServer::start(Server::builder()).await;
    let response = request(&server, "GET", "/health").await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
}

#[tokio::test]
async fn the_health_path_answers_200_while_serving() {
    let server = TestServer::start(Server::builder().health("/healthz")).await;
    let response = request(&server, "GET", "/healthz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok\n");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("connection"), None);
    // A query string does not matter; HEAD answers the status alone.
    assert_eq!(
        request(&server, "GET", "/healthz?probe=1").await.status,
        200
    );
    assert_eq!(head_status(&server, "/healthz").await, "HTTP/1.1 200 OK");
    // The path is the check's alone: other methods get 405.
    let post = request(&server, "POST", "/healthz").await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    // Every other path is JSON-RPC as before.
    assert_eq!(request(&server, "GET", "/").await.status, 405);
    assert_eq!(
        server.post(PING).await.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":1}"#
    );
}

#[tokio::test]
async fn a_path_without_a_slash_gets_one() {
    let server = TestServer::start(Server::builder().health("live")).await;
    assert_eq!(request(&server, "GET", "/live").await.status, 200);
}

#[tokio::test]
async fn the_readiness_hook_answers_503_when_it_says_no() {
    let ready = Arc::new(AtomicBool::new(false));
    let check = Arc::clone(&ready);
    let builder = Server::builder().health("/health").readiness(move || {
        let ready = check.load(Ordering::SeqCst);
        async move { ready }
    });
    let server = TestServer::start(builder).await;
    let response = request(&server, "GET", "/health").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.text(), "not ready\n");
    // Not ready is not draining: calls are answered, connections kept alive.
    assert_eq!(response.header("connection"), None);
    assert_eq!(server.post(PING).await.status, 200);
    ready.store(true, Ordering::SeqCst);
    assert_eq!(request(&server, "GET", "/health").await.status, 200);
}

#[tokio::test]
async fn a_readiness_hook_alone_serves_the_default_path() {
    let builder = Server::builder().readiness(|| async { true });
    let server = TestServer::start(builder).await;
    assert_eq!(jsonrpc_runtime::DEFAULT_HEALTH_PATH, "/health");
    assert_eq!(request(&server, "GET", "/health").await.status, 200);
}

#[tokio::test]
async fn the_health_path_answers_503_from_the_shutdown_on_while_calls_are_still_served() {
    let checked = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&checked);
    let builder = Server::builder()
        .health("/health")
        .readiness(move || {
            seen.store(true, Ordering::SeqCst);
            async { true }
        })
        .drain_delay(Duration::from_millis(600));
    let mut server = TestServer::start(builder).await;
    assert_eq!(request(&server, "GET", "/health").await.status, 200);
    let stopped = server.shutdown();
    // Polled until the server has taken in the shutdown, the flag cleared before each request:
    // the answer that says "draining" must not have asked the hook.
    let started = std::time::Instant::now();
    let response = loop {
        checked.store(false, Ordering::SeqCst);
        let response = request(&server, "GET", "/health").await;
        if response.status != 200 {
            break response;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never draining");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(response.status, 503);
    assert_eq!(response.text(), "draining\n");
    assert_eq!(response.header("connection"), Some("close"));
    // Draining answers at once, without asking the hook.
    assert!(!checked.load(Ordering::SeqCst));
    // The delay runs in full with a health path, and calls are answered meanwhile: 200 ms in,
    // short of the 600 ms delay, the server must still be there.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let response = server.post(PING).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(!stopped.is_finished());
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}
