use jsonrpc_runtime::{subscription, Sink};

#[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks")]
fn ticks(sink: Sink<u64>) {
    let _ = sink;
}

fn main() {}
