//! The seed's tornado server, in Rust: `ping` answers "pong".
//!
//! ```sh
//! cargo run --example ping_server            # serves 127.0.0.1:5000
//! cargo run --example ping_server 0.0.0.0:8080
//! curl -d '{"jsonrpc":"2.0","method":"ping","id":1}' http://127.0.0.1:5000/
//! ```

use jsonrpc_runtime::{method, Server};

/// Answers "pong".
#[method]
async fn ping() -> &'static str {
    "pong"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let server = Server::builder().bind(addr).await?;
    println!("listening on http://{}/", server.local_addr());
    server.run().await
}
