use jsonrpc_runtime::{subscription, Sink};

#[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks")]
async fn ticks(count: u64, sink: Sink<u64>) {
    let _ = (count, sink);
}

fn main() {}
