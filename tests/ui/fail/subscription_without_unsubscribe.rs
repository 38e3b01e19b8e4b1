use jsonrpc_runtime::{subscription, Sink};

#[subscription(name = "subscribe_ticks")]
async fn ticks(sink: Sink<u64>) {
    let _ = sink.send(1u64).await;
}

fn main() {}
