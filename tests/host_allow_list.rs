//! The `Host` allow-list against DNS rebinding, over real sockets: a request naming a foreign
//! host gets 403 over HTTP/1.1 and HTTP/2 and for WebSocket upgrades; allowed names (any port
//! for a port-less entry) are answered; the health path and servers without a list answer any
//! `Host`.

mod support;

use std::net::SocketAddr;

use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use jsonrpc_runtime::{method, Dispatcher, Methods, RpcService, Server};
use support::{call, send, send_h2, within, Running};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[method]
fn hosted_ping() -> &'static str {
    "pong"
}

fn ping_with_host(host: &str) -> Request<Full<Bytes>> {
    Request::post("/")
        .header(HOST, host)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(call("hosted_ping", "[]", "1"))))
        .expect("a valid request")
}

fn loopback_only() -> jsonrpc_runtime::ServerBuilder {
    Server::builder().allowed_hosts(["localhost", "127.0.0.1", "[::1]"])
}

/// The status line of a WebSocket upgrade of `/` naming `host`, sent by hand.
async fn upgrade_status(addr: SocketAddr, host: &str) -> String {
    within("a WebSocket upgrade", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") {
            let n = stream.read(&mut byte).await.expect("read");
            assert_eq!(n, 1, "the connection closed before a status line");
            head.push(byte[0]);
        }
        String::from_utf8(head)
            .expect("ASCII")
            .trim_end()
            .to_owned()
    })
    .await
}

#[tokio::test]
async fn allowed_names_are_answered_on_any_port() {
    let server = Running::server(loopback_only()).await;
    let port = server.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
        // Forwarded from another local port (`ssh -L 8080:localhost:<port>`).
        "localhost:8080".to_owned(),
        "localhost".to_owned(),
    ] {
        let reply = send(server.addr, ping_with_host(&host)).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
        assert_eq!(reply.result(), "pong", "{host}");
    }
}

#[tokio::test]
async fn a_foreign_host_gets_403_over_http1_and_http2() {
    let server = Running::server(loopback_only()).await;
    let port = server.addr.port();
    for host in [
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.2:{port}"),
    ] {
        let reply = send(server.addr, ping_with_host(&host)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{host}");
        assert!(!reply.body.contains("pong"), "{host}: {}", reply.body);
    }

    // HTTP/2 names the host in `:authority`.
    let h2 = |authority: String| {
        Request::post(format!("http://{authority}/"))
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(call("hosted_ping", "[]", "1"))))
            .expect("a valid request")
    };
    let foreign = send_h2(server.addr, h2(format!("evil.example:{port}"))).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let allowed = send_h2(server.addr, h2(format!("localhost:{port}"))).await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(allowed.result(), "pong");
}

#[tokio::test]
async fn a_websocket_upgrade_naming_a_foreign_host_gets_403() {
    let server = Running::server(loopback_only()).await;
    let port = server.addr.port();
    let refused = upgrade_status(server.addr, &format!("evil.example:{port}")).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    let upgraded = upgrade_status(server.addr, &format!("localhost:{port}")).await;
    assert!(upgraded.starts_with("HTTP/1.1 101"), "{upgraded}");
}

#[tokio::test]
async fn an_entry_with_a_port_allows_that_port_only() {
    // The port is known only once bound: serve `RpcService` behind axum on a listener of ours.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("the local address");
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(hosted_ping::METHOD))
        .build()
        .expect("a valid method set");
    let rpc = RpcService::new(dispatcher).allowed_hosts([format!("localhost:{}", addr.port())]);
    let app = axum::Router::new().route_service("/", rpc);
    let served = tokio::spawn(async move { axum::serve(listener, app).await });

    let reply = send(addr, ping_with_host(&format!("localhost:{}", addr.port()))).await;
    assert_eq!(reply.status, StatusCode::OK);
    for host in ["localhost", "localhost:1", "127.0.0.1"] {
        let reply = send(addr, ping_with_host(host)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{host}");
    }
    served.abort();
}

#[tokio::test]
async fn the_health_path_and_servers_without_a_list_answer_any_host() {
    let server = Running::server(loopback_only().health("/health")).await;
    let health = Request::get("/health")
        .header(HOST, "balancer.internal")
        .body(Full::new(Bytes::new()))
        .expect("a valid request");
    assert_eq!(send(server.addr, health).await.status, StatusCode::OK);

    let open = Running::server(Server::builder()).await;
    let reply = send(open.addr, ping_with_host("evil.example")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.result(), "pong");
}
