//! Shared state and request context in one method: `visit` counts the calls made so far (state
//! shared by every call) and reports what it knows about the request it came in (its id, the
//! method name, the client's address and `User-Agent` header).
//!
//! ```sh
//! cargo run --example state_and_context            # serves 127.0.0.1:5000
//! cargo run --example state_and_context 127.0.0.1:0
//! curl -d '{"jsonrpc":"2.0","method":"visit","params":["hello"],"id":"a1"}' http://127.0.0.1:5000/
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use jsonrpc_runtime::{method, Headers, MethodName, PeerAddr, RequestId, Server, State};
use serde::Serialize;

/// State shared by every call: the number of visits so far.
#[derive(Default)]
pub struct Visits(AtomicU64);

/// What `visit` answers.
#[derive(Serialize)]
pub struct Visit {
    /// This call's number: 1 for the first call the server answered.
    pub number: u64,
    /// The note the client sent (the one param).
    pub note: Option<String>,
    /// The request id, as the JSON text the client sent.
    pub id: Option<String>,
    /// The method name the client called.
    pub method: String,
    /// The client's address.
    pub peer: Option<String>,
    /// The client's `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Counts the visit and describes the request. Only `note` is a param: the other arguments are
/// state and request context.
#[method]
fn visit(
    visits: State<Visits>,
    id: RequestId,
    method: MethodName,
    peer: PeerAddr,
    headers: Headers,
    note: Option<String>,
) -> Visit {
    Visit {
        number: visits.0.fetch_add(1, Ordering::Relaxed) + 1,
        note,
        id: id.as_json().map(str::to_owned),
        method: method.0,
        peer: peer.0.map(|addr| addr.to_string()),
        user_agent: headers
            .0
            .get("user-agent")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    }
}

/// The server, with its state, ready to bind.
pub fn server() -> jsonrpc_runtime::ServerBuilder {
    Server::builder().state(Visits::default())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let server = server().bind(addr).await?;
    println!("listening on http://{}", server.local_addr());
    server.run().await
}
