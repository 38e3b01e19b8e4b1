//! This project's server answering `ping` (and `subtract`, `echo`): `cargo run --release --bin
//! ping_ours -- 127.0.0.1:5000`. Stops on Ctrl-C (SIGINT).

use jsonrpc_runtime::Server;

fn main() -> std::io::Result<()> {
    let addr = jsonrpc_bench::address();
    jsonrpc_bench::server_runtime().block_on(async {
        // Limits as for the jsonrpsee server: a batch of 100 is well within both defaults.
        let server = Server::builder()
            .methods(jsonrpc_bench::methods())
            .bind(addr)
            .await?;
        eprintln!("ping_ours listening on {}", server.local_addr());
        server.run().await
    })
}
