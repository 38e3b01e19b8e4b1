//! jsonrpsee 0.26's server (WebSocket and HTTP on one port) for the WebSocket load test:
//! `ping`, the broadcast subscription `subscribe_events` (notification `events`, unsubscribe
//! `unsubscribe_events`) and `publish(value)`, which sends `value` to every live subscriber and
//! answers how many there were. Written the way jsonrpsee's documentation and examples do it:
//! `RpcModule::register_subscription`, accept the `PendingSubscriptionSink`, then forward from a
//! tokio broadcast receiver until the subscriber goes away.
//!
//! `cargo run --release --bin ws_jsonrpsee -- 127.0.0.1:0`; prints `ws_jsonrpsee listening on
//! ADDR` on stderr. Stops on Ctrl-C (SIGINT).

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::server::{PendingSubscriptionSink, RpcModule, Server, ServerConfig};
use serde_json::Value;
use tokio::sync::broadcast;

/// The hub every `subscribe_events` subscriber listens to.
struct Hub {
    events: broadcast::Sender<Value>,
}

/// Forwards every item published after the subscription until the subscriber unsubscribes or
/// disconnects; a subscriber that falls more than the channel's capacity behind is ended with
/// an error.
async fn forward_events(pending: PendingSubscriptionSink, hub: &Hub) -> SubscriptionResult {
    let mut items = hub.events.subscribe();
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            item = items.recv() => match item {
                Ok(value) => {
                    let message = serde_json::value::to_raw_value(&value)?;
                    if sink.send(message).await.is_err() {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    return Err(format!("lagged: {missed} items missed").into());
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
        }
    }
}

fn module() -> RpcModule<Hub> {
    let (events, _) = broadcast::channel(jsonrpc_bench::ws::BROADCAST_CAPACITY);
    let mut module = RpcModule::new(Hub { events });
    module
        .register_method("ping", |_, _, _| "pong")
        .expect("ping registers");
    module
        .register_method("publish", |params, hub, _| -> RpcResult<usize> {
            let value: Value = params.one()?;
            Ok(hub.events.send(value).unwrap_or(0))
        })
        .expect("publish registers");
    module
        .register_subscription(
            "subscribe_events",
            "events",
            "unsubscribe_events",
            |_, pending, hub, _| async move { forward_events(pending, &hub).await },
        )
        .expect("subscribe_events registers");
    module
}

fn main() -> std::io::Result<()> {
    let addr = jsonrpc_bench::address();
    jsonrpc_bench::server_runtime().block_on(async {
        // Defaults, except the connection limit (jsonrpsee's default is 100).
        let config = ServerConfig::builder()
            .max_connections(jsonrpc_bench::ws::MAX_CONNECTIONS)
            .build();
        let server = Server::builder().set_config(config).build(addr).await?;
        eprintln!("ws_jsonrpsee listening on {}", server.local_addr()?);
        let handle = server.start(module());
        let _ = tokio::signal::ctrl_c().await;
        let _ = handle.stop();
        handle.stopped().await;
        Ok(())
    })
}
