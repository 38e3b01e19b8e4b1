// A subscription in an `impl` block that neither takes `self` nor names `Self`: the macro reads
// the source around the attribute to tell, and reports the one error there.
use jsonrpc_runtime::{subscription, Sink};

struct Ticker;

impl Ticker {
    #[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks")]
    async fn ticks(sink: Sink<u64>) {
        let _ = sink;
    }
}

fn main() {}
