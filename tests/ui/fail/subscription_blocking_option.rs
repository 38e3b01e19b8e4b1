use jsonrpc_runtime::{subscription, Sink};

#[subscription(unsubscribe = "unsubscribe_ticks", blocking)]
async fn ticks(sink: Sink<u64>) {
    let _ = sink;
}

fn main() {}
