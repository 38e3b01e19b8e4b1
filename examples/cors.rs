//! JSON-RPC for browser callers: tower-http's `CorsLayer` in front of `RpcService`, so a page
//! served from another origin (here `http://localhost:8080`) may `fetch` the API.
//!
//! A browser sends `Content-Type: application/json` POSTs only after a preflight `OPTIONS`
//! request; the layer answers that itself (the service would answer 405) and adds
//! `Access-Control-Allow-Origin` to the responses of allowed origins. WebSocket connections are
//! not subject to CORS: restrict their origins with `WsConfig`'s allowed origins instead.
//!
//! ```sh
//! cargo run --example cors                  # serves 127.0.0.1:3000
//! cargo run --example cors 127.0.0.1:0      # an ephemeral port, printed on stdout
//! curl -i -X OPTIONS -H 'Origin: http://localhost:8080' \
//!      -H 'Access-Control-Request-Method: POST' \
//!      -H 'Access-Control-Request-Headers: content-type' http://127.0.0.1:3000/rpc
//! ```
//!
//! and, in the page on `http://localhost:8080`:
//!
//! ```js
//! const reply = await fetch("http://127.0.0.1:3000/rpc", {
//!   method: "POST",
//!   headers: { "Content-Type": "application/json" },
//!   body: JSON.stringify({ jsonrpc: "2.0", method: "ping", id: 1 }),
//! }).then((response) => response.json());
//! ```

use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::Router;
use jsonrpc_runtime::{method, Dispatcher, Methods, RpcService};
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins of the web pages allowed to call (scheme, host and port, no path).
pub const ALLOWED_ORIGINS: [&str; 2] = ["http://localhost:8080", "https://app.example"];

/// Answers "pong".
#[method]
fn ping() -> &'static str {
    "pong"
}

/// The CORS policy: the pages' origins may POST JSON (with a bearer token, if they have one);
/// the browser may cache the preflight's answer for ten minutes. An origin not in the list gets
/// no `Access-Control-Allow-Origin`, so its browser keeps the answer from the page.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            ALLOWED_ORIGINS.map(HeaderValue::from_static),
        ))
        .allow_methods([Method::POST])
        .allow_headers([CONTENT_TYPE, AUTHORIZATION])
        .max_age(Duration::from_secs(600))
}

/// The application: JSON-RPC on `/rpc`, behind the CORS layer.
pub fn app() -> Router {
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(ping::METHOD))
        .build()
        .expect("the method set is valid");
    // `route_service` (every HTTP method), so that the preflight reaches the layer.
    Router::new().route_service("/rpc", cors().layer(RpcService::new(dispatcher)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app()).await
}
