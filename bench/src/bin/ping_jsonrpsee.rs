//! jsonrpsee 0.26's HTTP server answering `ping` (and `subtract`, `echo`): `cargo run --release
//! --bin ping_jsonrpsee -- 127.0.0.1:5001`. Stops on Ctrl-C (SIGINT).

use jsonrpsee::server::Server;

fn main() -> std::io::Result<()> {
    let addr = jsonrpc_bench::address();
    jsonrpc_bench::server_runtime().block_on(async {
        // Default configuration: 10 MB bodies, unlimited batch length, HTTP and WebSocket on one
        // port (as its documentation shows).
        let server = Server::builder().build(addr).await?;
        eprintln!("ping_jsonrpsee listening on {}", server.local_addr()?);
        let handle = server.start(jsonrpc_bench::jsonrpsee_module());
        let _ = tokio::signal::ctrl_c().await;
        let _ = handle.stop();
        handle.stopped().await;
        Ok(())
    })
}
