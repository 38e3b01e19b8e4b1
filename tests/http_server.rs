//! The HTTP server: statuses, headers, body limits, keep-alive, HTTP/2, start-up errors and
//! graceful shutdown, through real connections.

mod common;

use std::time::{Duration, Instant};

use common::started::Started;
use common::{read_response, send_post, TestServer};
use jsonrpc_runtime::{method, Server, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[method]
async fn ping() -> &'static str {
    "pong"
}

/// Sleeps `ms` milliseconds, then returns `ms`; notes its start in the server's `Started`.
#[method]
async fn sleep(ms: u64, started: Started) -> u64 {
    started.nap(ms).await
}

#[method]
fn explode() {
    panic!("boom")
}

struct Config;

#[method]
fn configured(_config: State<Config>) {}

fn builder() -> jsonrpc_runtime::ServerBuilder {
    Server::builder().state(Config)
}

const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

#[tokio::test]
async fn a_request_gets_200_with_json() {
    let server = TestServer::start(builder()).await;
    let response = server.post(PING).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":1}"#
    );
}

#[tokio::test]
async fn a_notification_gets_204_and_no_body() {
    let server = TestServer::start(builder()).await;
    let response = server.post(r#"{"jsonrpc":"2.0","method":"ping"}"#).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    let response = server.post(r#"[{"jsonrpc":"2.0","method":"ping"}]"#).await;
    assert_eq!(response.status, 204);
}

#[tokio::test]
async fn errors_are_still_200() {
    let server = TestServer::start(builder()).await;
    for body in ["{", r#"{"jsonrpc":"2.0","method":"nope","id":1}"#, "[]"] {
        let response = server.post(body).await;
        assert_eq!(response.status, 200, "{body}");
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn other_http_methods_get_405_with_allow() {
    let server = TestServer::start(builder()).await;
    for verb in ["GET", "PUT", "DELETE", "OPTIONS"] {
        let mut connection = server.connect().await;
        let request = format!("{verb} / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
        connection
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let response = read_response(&mut connection).await;
        assert_eq!(response.status, 405, "{verb}");
        assert_eq!(response.header("allow"), Some("POST"));
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_without_being_read() {
    let server = TestServer::start(builder().max_body_size(1024)).await;
    // Declared too large: answered before a byte of the body is sent.
    let mut connection = server.connect().await;
    let head = "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100000000\r\n\r\n";
    connection
        .get_mut()
        .write_all(head.as_bytes())
        .await
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut connection))
        .await
        .expect("413 at once");
    assert_eq!(response.status, 413);
    let error: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(error["error"]["code"], -32600);

    // Chunked, with no length declared: cut off once the limit is crossed.
    let mut connection = server.connect().await;
    let head = "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    connection
        .get_mut()
        .write_all(head.as_bytes())
        .await
        .unwrap();
    let chunk = format!("800\r\n{}\r\n", "x".repeat(0x800));
    connection
        .get_mut()
        .write_all(chunk.as_bytes())
        .await
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut connection))
        .await
        .expect("413");
    assert_eq!(response.status, 413);

    // The server still answers.
    assert_eq!(server.post(PING).await.status, 200);
}

#[tokio::test]
async fn a_chunked_body_within_the_limit_is_read() {
    let server = TestServer::start(builder()).await;
    let mut connection = server.connect().await;
    let (a, b) = PING.split_at(10);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
    let response = read_response(&mut connection).await;
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":1}"#
    );
}

#[tokio::test]
async fn many_requests_share_one_keep_alive_connection() {
    let server = TestServer::start(builder()).await;
    let mut connection = server.connect().await;
    for i in 0..200 {
        send_post(
            &mut connection,
            &format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{i}}}"#),
        )
        .await;
        let response = read_response(&mut connection).await;
        assert_eq!(
            response.text(),
            format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{i}}}"#)
        );
    }
}

#[tokio::test]
async fn http2_with_prior_knowledge() {
    let server = TestServer::start(builder()).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert_http2_ping(stream, server.addr).await;
}

/// Sends `ping` over HTTP/2 (prior knowledge) on `io` and checks the answer.
async fn assert_http2_ping<I>(io: I, addr: std::net::SocketAddr)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::{BodyExt, Full};
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(io),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::post(format!("http://{addr}/"))
        .body(Full::new(bytes::Bytes::from_static(PING.as_bytes())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
}

/// The server tells HTTP/1.1 from HTTP/2 by the first bytes; a client may send them a few at a
/// time. `P` starts both a `POST` and the HTTP/2 preface.
#[tokio::test]
async fn the_version_is_told_from_bytes_that_come_one_by_one() {
    let server = TestServer::start(builder()).await;
    let mut connection = server.connect().await;
    connection.get_mut().write_all(b"P").await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    connection.get_mut().write_all(b"O").await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let request = format!(
        "ST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{PING}",
        PING.len()
    );
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
    let response = read_response(&mut connection).await;
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":1}"#
    );

    // The HTTP/2 preface in two parts, with a pause between them.
    let server_side = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (client_side, mut relay) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let mut server_side = server_side;
        let mut first = [0; 24];
        relay.read_exact(&mut first).await.unwrap();
        server_side.write_all(&first[..10]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        server_side.write_all(&first[10..]).await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut relay, &mut server_side).await;
    });
    assert_http2_ping(client_side, server.addr).await;
}

/// A connection that closes before it sends a byte costs the server nothing lasting.
#[tokio::test]
async fn a_connection_that_sends_nothing_and_closes_is_let_go() {
    let server = TestServer::start(builder()).await;
    for _ in 0..50 {
        drop(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let mut connection = server.connect().await;
    send_post(&mut connection, PING).await;
    assert_eq!(
        read_response(&mut connection).await.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":1}"#
    );
}

#[tokio::test]
async fn a_panicking_method_does_not_stop_the_server() {
    let server = TestServer::start(builder()).await;
    let response = server
        .post(r#"{"jsonrpc":"2.0","method":"explode","id":1}"#)
        .await;
    assert_eq!(response.status, 200);
    let error: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(error["error"]["code"], -32603);
    assert_eq!(server.post(PING).await.status, 200);
}

#[tokio::test]
async fn missing_state_fails_bind_with_invalid_input() {
    let error = Server::builder()
        .bind("127.0.0.1:0")
        .await
        .err()
        .expect("start-up fails");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<jsonrpc_runtime::StartupError>());
    assert!(
        matches!(
            inner,
            Some(jsonrpc_runtime::StartupError::MissingState {
                method: "configured",
                ..
            })
        ),
        "{error}"
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let started = Started::default();
    let mut server = TestServer::start(builder().state(started.clone())).await;
    let mut connection = server.connect().await;
    send_post(
        &mut connection,
        r#"{"jsonrpc":"2.0","method":"sleep","params":[300],"id":7}"#,
    )
    .await;
    started.wait_for(1).await;
    let started = Instant::now();
    let task = server.shutdown();
    let response = read_response(&mut connection).await;
    assert_eq!(response.text(), r#"{"jsonrpc":"2.0","result":300,"id":7}"#);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
    // The closed connection reads end-of-file.
    let mut rest = Vec::new();
    let _ = connection.read_to_end(&mut rest).await;
}

#[tokio::test]
async fn concurrent_connections_are_served_in_parallel() {
    let server = TestServer::start(builder()).await;
    let started = Instant::now();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let addr = server.addr;
            tokio::spawn(async move {
                let mut connection =
                    tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
                send_post(
                    &mut connection,
                    r#"{"jsonrpc":"2.0","method":"sleep","params":[300],"id":1}"#,
                )
                .await;
                read_response(&mut connection).await
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_millis(8 * 300 / 2),
        "{:?}",
        started.elapsed()
    );
}
