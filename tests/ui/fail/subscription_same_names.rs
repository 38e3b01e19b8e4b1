use jsonrpc_runtime::{subscription, Sink};

#[subscription(name = "ticks", unsubscribe = "ticks", notification = "ticks")]
async fn ticks(sink: Sink<u64>) {
    let _ = sink;
}

fn main() {}
