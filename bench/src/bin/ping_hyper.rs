//! The limit: a bare hyper 1 HTTP/1.1 server that reads each request's body and answers fixed
//! bytes, with no JSON work at all: `{"jsonrpc":"2.0","result":"pong","id":1}`, or, for a body
//! that starts with `[`, the fixed answer to a batch of 100 pings (ids 1..=100), so that the
//! batch run moves the same bytes as the JSON-RPC servers (the layer `hyper` of
//! [`jsonrpc_bench::layers`]). `cargo run --release --bin ping_hyper -- 127.0.0.1:5002`. Stops on
//! Ctrl-C (SIGINT).

use jsonrpc_bench::layers::{self, Layer};

fn main() -> std::io::Result<()> {
    layers::main(Layer::Hyper, "ping_hyper", &jsonrpc_bench::address())
}
