//! This project's server for the WebSocket load test, the counterpart of `ws_jsonrpsee`:
//! `ping`, the broadcast subscription `subscribe_events` (notification `events`, unsubscribe
//! `unsubscribe_events`) and `publish(value)`, which sends `value` to every live subscriber and
//! answers how many there were. WebSocket and HTTP on one port.
//!
//! `cargo run --release --bin ws_ours -- 127.0.0.1:0`; prints `ws_ours listening on ADDR` on
//! stderr. Stops on Ctrl-C (SIGINT).

use jsonrpc_runtime::{method, subscription, Broadcast, Error, Methods, Server, Sink, State};
use serde_json::Value;

/// Every value passed to `publish` while subscribed.
#[subscription(
    name = "subscribe_events",
    unsubscribe = "unsubscribe_events",
    notification = "events"
)]
async fn events(sink: Sink<Value>, hub: State<Broadcast<Value>>) -> Result<(), Error> {
    hub.forward(sink).await
}

/// Sends `value` to every subscriber; answers how many there were.
#[method]
fn publish(value: Value, hub: State<Broadcast<Value>>) -> usize {
    hub.send(value)
}

fn main() -> std::io::Result<()> {
    let addr = jsonrpc_bench::address();
    jsonrpc_bench::server_runtime().block_on(async {
        let methods = Methods::new()
            .with(jsonrpc_bench::ping::METHOD)
            .with(publish::METHOD)
            .with(events::METHOD);
        // Defaults, except the connection limit (as for the jsonrpsee server).
        let server = Server::builder()
            .methods(methods)
            .state(Broadcast::<Value>::new(
                jsonrpc_bench::ws::BROADCAST_CAPACITY,
            ))
            .max_connections(jsonrpc_bench::ws::MAX_CONNECTIONS as usize)
            .bind(addr)
            .await?;
        eprintln!("ws_ours listening on {}", server.local_addr());
        server.run().await
    })
}
