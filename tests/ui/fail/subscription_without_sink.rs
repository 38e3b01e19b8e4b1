use jsonrpc_runtime::subscription;

#[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks")]
async fn ticks() {}

fn main() {}
