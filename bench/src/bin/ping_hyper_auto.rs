//! The limit with our server's connection settings: hyper-util's auto builder (HTTP/1.1 and
//! HTTP/2 on one port), a `TokioTimer` with the header-read timeout on HTTP/1, upgrades, and a
//! graceful-shutdown watch around each connection, answering the same fixed bytes as
//! `ping_hyper` (the layer `graceful` of [`jsonrpc_bench::layers`]). `cargo run --release --bin
//! ping_hyper_auto -- 127.0.0.1:5003`. Stops on Ctrl-C (SIGINT).

use jsonrpc_bench::layers::{self, Layer};

fn main() -> std::io::Result<()> {
    layers::main(
        Layer::Graceful,
        "ping_hyper_auto",
        &jsonrpc_bench::address(),
    )
}
