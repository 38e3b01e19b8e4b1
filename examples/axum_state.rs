//! One file, two `State`s: axum's `State` for the app's own routes and the framework's `State`
//! for its JSON-RPC methods, side by side. The methods are told apart from params by type, so
//! the framework's `State` works under the name `RpcState`; and `CurrentUser` is an extractor of
//! this app's own, which rejects a call without a valid token with -32001.
//!
//! ```sh
//! cargo run --example axum_state                 # serves 127.0.0.1:3000
//! curl http://127.0.0.1:3000/visits
//! curl -H 'Authorization: Bearer alice-token' \
//!      -d '{"jsonrpc":"2.0","method":"visit","params":["/home"],"id":1}' http://127.0.0.1:3000/rpc
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post_service};
use axum::Router;
use jsonrpc_runtime::State as RpcState;
use jsonrpc_runtime::{method, CallContext, Dispatcher, Error, FromCall, Methods, RpcService};

/// The application error for calls made without a valid token.
pub const UNAUTHORIZED: i32 = -32001;

/// The visit counter, shared by the REST route (through axum's state) and the methods (through
/// the dispatcher's state).
#[derive(Default)]
pub struct Visits(AtomicU64);

/// The user a call is made by, from its `Authorization: Bearer <token>` header. A call without
/// a known token is answered -32001 "unauthorized" before the method runs.
pub struct CurrentUser(pub String);

impl FromCall for CurrentUser {
    type Rejection = Error;

    fn from_call(call: &CallContext<'_>) -> Result<Self, Error> {
        call.header("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(user_for)
            .map(CurrentUser)
            .ok_or_else(|| Error::new(UNAUTHORIZED, "unauthorized"))
    }
}

/// The users the tokens belong to (a real service would ask its identity provider).
fn user_for(token: &str) -> Option<String> {
    match token {
        "alice-token" => Some("alice".to_owned()),
        "bob-token" => Some("bob".to_owned()),
        _ => None,
    }
}

/// Counts a visit to `page` by the current user; answers the count so far.
#[method]
fn visit(visits: RpcState<Arc<Visits>>, user: CurrentUser, page: String) -> String {
    let count = visits.0.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{} visited {page}: visit {count}", user.0)
}

/// The REST route: axum's own `State` extractor.
async fn visits(State(visits): State<Arc<Visits>>) -> String {
    visits.0.load(Ordering::Relaxed).to_string()
}

/// The application: `GET /visits` (axum) and JSON-RPC on `POST /rpc`, sharing one counter.
pub fn app() -> Router {
    let shared = Arc::new(Visits::default());
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(visit::METHOD))
        .state(Arc::clone(&shared))
        .build()
        .expect("the method set is valid");
    Router::new()
        .route("/visits", get(visits))
        .route("/rpc", post_service(RpcService::new(dispatcher)))
        .with_state(shared)
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
