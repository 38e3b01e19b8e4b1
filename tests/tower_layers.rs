//! `RpcService` as a `tower::Service`: called directly with `oneshot`, wrapped in tower layers
//! (a timeout, a request mapper), and mounted in axum behind them, through real HTTP.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::http::{header, Request, StatusCode};
use axum::routing::post_service;
use axum::Router;
use http_body_util::BodyExt;
use jsonrpc_runtime::{method, Dispatcher, Headers, Methods, PeerAddr, RpcService};
use support::{call, post, Running};
use tower::timeout::error::Elapsed;
use tower::timeout::TimeoutLayer;
use tower::{BoxError, ServiceBuilder, ServiceExt};

#[method]
fn ping() -> &'static str {
    "pong"
}

#[method]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[method]
fn peer(peer: PeerAddr) -> Option<String> {
    peer.0.map(|addr| addr.to_string())
}

#[method]
fn content_type(headers: Headers) -> Option<String> {
    headers
        .0
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn rpc() -> RpcService {
    RpcService::new(Dispatcher::builder().build().expect("a valid set"))
}

fn rpc_request(body: String) -> Request<String> {
    Request::post("/")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap()
}

/// The status and body of a response.
async fn parts<B>(response: axum::http::Response<B>) -> (StatusCode, String)
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_service_answers_a_request_directly() {
    let response: Result<_, Infallible> = rpc().oneshot(rpc_request(call("ping", "[]", "1"))).await;
    let response = response.unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        parts(response).await,
        (
            StatusCode::OK,
            r#"{"jsonrpc":"2.0","result":"pong","id":1}"#.to_owned()
        )
    );

    let get = Request::get("/").body(String::new()).unwrap();
    let response = rpc().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "POST");

    let too_big = rpc()
        .max_body_size(16)
        .oneshot(rpc_request(call("ping", "[]", "1")))
        .await
        .unwrap();
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let notification = rpc()
        .oneshot(rpc_request(
            r#"{"jsonrpc":"2.0","method":"ping"}"#.to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(
        parts(notification).await,
        (StatusCode::NO_CONTENT, String::new())
    );
}

#[tokio::test]
async fn a_timeout_layer_cuts_a_slow_call_short() {
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_millis(100)))
        .service(rpc());
    let fast = service
        .clone()
        .oneshot(rpc_request(call("nap", "[1]", "1")))
        .await
        .expect("a fast call is answered");
    assert_eq!(
        parts(fast).await.1,
        r#"{"jsonrpc":"2.0","result":1,"id":1}"#
    );
    let error = service
        .oneshot(rpc_request(call("nap", "[2000]", "2")))
        .await
        .expect_err("a slow call times out");
    assert!(error.is::<Elapsed>(), "{error}");
}

#[tokio::test]
async fn a_layer_can_supply_the_peer_address_and_the_handle_argument_wins() {
    let given: std::net::SocketAddr = "10.1.2.3:9".parse().unwrap();
    let service = ServiceBuilder::new()
        .map_request(move |mut request: Request<String>| {
            request.extensions_mut().insert(PeerAddr(Some(given)));
            request
        })
        .service(rpc());
    let response = service
        .oneshot(rpc_request(call("peer", "[]", "1")))
        .await
        .unwrap();
    assert_eq!(
        parts(response).await.1,
        r#"{"jsonrpc":"2.0","result":"10.1.2.3:9","id":1}"#
    );

    // `handle` with a peer: that one is used.
    let mut request = rpc_request(call("peer", "[]", "2"));
    request.extensions_mut().insert(PeerAddr(Some(given)));
    let response = rpc()
        .handle(request, Some("192.0.2.7:80".parse().unwrap()))
        .await;
    assert_eq!(
        parts(response).await.1,
        r#"{"jsonrpc":"2.0","result":"192.0.2.7:80","id":2}"#
    );
}

#[tokio::test]
async fn tower_layers_apply_to_the_service_mounted_in_axum() {
    let rpc_nap_and_content_type = RpcService::new(
        Dispatcher::builder()
            .methods(Methods::registered().only(&["nap", "content_type"]))
            .build()
            .unwrap(),
    );
    let guarded = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|error: BoxError| async move {
            if error.is::<Elapsed>() {
                (StatusCode::REQUEST_TIMEOUT, "timed out")
            } else {
                (StatusCode::INTERNAL_SERVER_ERROR, "failed")
            }
        }))
        .layer(TimeoutLayer::new(Duration::from_millis(150)))
        .service(rpc_nap_and_content_type);
    let app = Router::new()
        .route("/rpc", post_service(guarded))
        .route("/plain", post_service(rpc()));
    let server = Running::axum(app).await;

    let fast = post(server.addr, "/rpc", &call("nap", "[5]", "1")).await;
    assert_eq!(fast.status, StatusCode::OK);
    assert_eq!(fast.result(), 5);
    let slow = post(server.addr, "/rpc", &call("nap", "[2000]", "2")).await;
    assert_eq!(slow.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(slow.body, "timed out");
    // The set behind `/rpc` has no `ping`; `/plain` has every method.
    let reply = post(server.addr, "/rpc", &call("ping", "[]", "3")).await;
    assert_eq!(reply.error().0, -32601);
    let reply = post(server.addr, "/plain", &call("ping", "[]", "4")).await;
    assert_eq!(reply.result(), "pong");
    // Headers reach the method through the layers.
    let reply = post(server.addr, "/rpc", &call("content_type", "[]", "5")).await;
    assert_eq!(reply.result(), "application/json");
}
