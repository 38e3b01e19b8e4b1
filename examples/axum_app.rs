//! JSON-RPC inside an existing axum application: a REST route beside `/rpc`, an auth layer that
//! puts the current user into the request's extensions, and a method that reads it.
//!
//! ```sh
//! cargo run --example axum_app                  # serves 127.0.0.1:3000
//! cargo run --example axum_app 127.0.0.1:0      # an ephemeral port, printed on stdout
//! curl http://127.0.0.1:3000/health
//! curl -H 'Authorization: Bearer alice-token' \
//!      -d '{"jsonrpc":"2.0","method":"whoami","id":1}' http://127.0.0.1:3000/rpc
//! ```

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post_service};
use axum::Router;
use jsonrpc_runtime::{method, Dispatcher, Error, Extension, Methods, PeerAddr, RpcService};

/// The user the auth layer found for a request: `None` without a valid bearer token. The layer
/// always inserts one, so a method can tell "no user" from a server wired without the layer.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Option<String>);

/// The application error for calls made without a valid token.
pub const UNAUTHORIZED: i32 = -32001;

/// The name of the user making the call.
#[method]
fn whoami(user: Extension<CurrentUser>) -> Result<String, Error> {
    let Extension(CurrentUser(user)) = user;
    user.ok_or_else(|| Error::new(UNAUTHORIZED, "unauthorized"))
}

/// Answers "pong", with or without a user.
#[method]
fn ping() -> &'static str {
    "pong"
}

/// The users the tokens belong to (a real service would ask its identity provider).
fn user_for(token: &str) -> Option<String> {
    match token {
        "alice-token" => Some("alice".to_owned()),
        "bob-token" => Some("bob".to_owned()),
        _ => None,
    }
}

/// The auth layer: reads `Authorization: Bearer <token>` and inserts a [`CurrentUser`].
pub async fn authenticate(mut request: Request, next: Next) -> Response {
    let user = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(user_for);
    request.extensions_mut().insert(CurrentUser(user));
    next.run(request).await
}

/// Hands axum's connection info to the methods' `PeerAddr` extractor (served with
/// `into_make_service_with_connect_info::<SocketAddr>()`).
pub async fn peer_addr(mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    request.extensions_mut().insert(PeerAddr(peer));
    next.run(request).await
}

/// The application: `GET /health` and JSON-RPC on `POST /rpc`.
pub fn app() -> Router {
    let methods = Methods::new().with(whoami::METHOD).with(ping::METHOD);
    let dispatcher = Dispatcher::builder()
        .methods(methods)
        .build()
        .expect("the method set is valid");
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/rpc", post_service(RpcService::new(dispatcher)))
        .layer(middleware::from_fn(authenticate))
        .layer(middleware::from_fn(peer_addr))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app().into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
