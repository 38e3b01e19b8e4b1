//! A jsonrpsee 0.26 WebSocket (and HTTP) server with the spec server's `ping` and
//! `subscribe_ticks`, for running our own client against a third-party server.
//!
//! ```sh
//! cargo run --bin jsonrpsee_server            # 127.0.0.1 and a free port
//! cargo run --bin jsonrpsee_server 127.0.0.1:5001
//! ```
//!
//! Prints its address (`127.0.0.1:PORT`) on stdout as one line, then serves until killed.
//!
//! - `ping` answers `"pong"`.
//! - `subscribe_ticks(count, interval_ms)` (by position or by name) sends the items
//!   `0..count` as `ticks` notifications, one every `interval_ms`, then ends. jsonrpsee sends
//!   nothing when a subscription ends normally. `unsubscribe_ticks([id])` stops it early.
//!   jsonrpsee's subscription ids are numbers by default, where ours are strings.

use std::io::Write;
use std::time::Duration;

use jsonrpsee::core::SubscriptionError;
use jsonrpsee::server::{PendingSubscriptionSink, RpcModule, Server, SubscriptionMessage};
use jsonrpsee::types::{ErrorObjectOwned, Params};

/// The params of `subscribe_ticks`, by position or by name.
fn ticks_params(params: &Params<'_>) -> Result<(u64, u64), ErrorObjectOwned> {
    if params.is_object() {
        let map: serde_json::Map<String, serde_json::Value> = params.parse()?;
        let field = |name: &str| map.get(name).and_then(serde_json::Value::as_u64);
        return match (field("count"), field("interval_ms")) {
            (Some(count), Some(interval)) => Ok((count, interval)),
            _ => Err(ErrorObjectOwned::owned(
                -32602,
                "count and interval_ms must be unsigned integers",
                None::<()>,
            )),
        };
    }
    params.parse()
}

/// `subscribe_ticks`: the items `0..count`, one every `interval_ms`.
async fn ticks(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
) -> Result<(), SubscriptionError> {
    let (count, interval_ms) = match ticks_params(&params) {
        Ok(args) => args,
        Err(error) => {
            pending.reject(error).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    let mut interval = tokio::time::interval(Duration::from_millis(interval_ms.max(1)));
    for n in 0..count {
        interval.tick().await;
        let item: SubscriptionMessage = serde_json::value::to_raw_value(&n)?.into();
        // An error here means the client unsubscribed or went away: stop quietly.
        if sink.send(item).await.is_err() {
            break;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());

    let mut module = RpcModule::new(());
    module.register_method("ping", |_, _, _| "pong")?;
    module.register_subscription(
        "subscribe_ticks",
        "ticks",
        "unsubscribe_ticks",
        |params, pending, _, _| ticks(params, pending),
    )?;

    let server = Server::builder().build(addr).await?;
    let local = server.local_addr()?;
    let handle = server.start(module);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{local}")?;
    stdout.flush()?;
    handle.stopped().await;
    Ok(())
}
