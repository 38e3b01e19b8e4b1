//! CORS through `examples/cors.rs` over real HTTP: the preflight of an allowed origin is
//! answered by the layer, a foreign origin's is not allowed, and a POST from the allowed origin
//! carries `Access-Control-Allow-Origin`.

#[path = "../examples/cors.rs"]
#[allow(dead_code)]
mod cors;
mod support;

use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HOST;
use hyper::Request;
use support::{call, post_with, send, Running};

fn preflight(addr: std::net::SocketAddr, origin: &str) -> Request<Full<Bytes>> {
    Request::options("/rpc")
        .header(HOST, addr.to_string())
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Full::new(Bytes::new()))
        .expect("a valid request")
}

fn header<'a>(reply: &'a support::Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn the_preflight_of_the_allowed_origin_is_answered() {
    let server = Running::axum(cors::app()).await;
    let reply = send(
        server.addr,
        preflight(server.addr, cors::ALLOWED_ORIGINS[0]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        header(&reply, "access-control-allow-origin"),
        Some(cors::ALLOWED_ORIGINS[0])
    );
    let methods = header(&reply, "access-control-allow-methods").expect("allowed methods");
    assert!(methods.split(',').any(|m| m.trim() == "POST"), "{methods}");
    let headers = header(&reply, "access-control-allow-headers")
        .expect("allowed headers")
        .to_ascii_lowercase();
    assert!(
        headers.split(',').any(|h| h.trim() == "content-type"),
        "{headers}"
    );
    assert_eq!(header(&reply, "access-control-max-age"), Some("600"));
    server.stop().await.expect("a clean shutdown");
}

#[tokio::test]
async fn the_preflight_of_a_foreign_origin_allows_nothing() {
    let server = Running::axum(cors::app()).await;
    let reply = send(server.addr, preflight(server.addr, "https://evil.example")).await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_post_from_the_allowed_origin_is_answered_with_allow_origin() {
    let server = Running::axum(cors::app()).await;
    let reply = post_with(
        server.addr,
        "/rpc",
        &[("origin", cors::ALLOWED_ORIGINS[1])],
        &call("ping", "[]", "1"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.result(), "pong");
    assert_eq!(
        header(&reply, "access-control-allow-origin"),
        Some(cors::ALLOWED_ORIGINS[1])
    );
    let vary = header(&reply, "vary").unwrap_or("").to_ascii_lowercase();
    assert!(
        vary.contains("origin"),
        "caches must key on Origin: {vary:?}"
    );

    // A POST from elsewhere is still answered (CORS is the browser's to enforce), but without
    // the header the browser needs to hand the answer to the page.
    let foreign = post_with(
        server.addr,
        "/rpc",
        &[("origin", "https://evil.example")],
        &call("ping", "[]", "2"),
    )
    .await;
    assert_eq!(header(&foreign, "access-control-allow-origin"), None);
}
