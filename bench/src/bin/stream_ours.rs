//! This project's `ping` served three ways by one process, for the stream-transport figures:
//! HTTP on `--http ADDR`, TCP with line framing on `--tcp ADDR`, and a Unix socket with line
//! framing on `--unix PATH`. Prints `ready` on stdout once all three listen; stops on Ctrl-C.

use jsonrpc_runtime::stream::Framing;
use jsonrpc_runtime::Server;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut http, mut tcp, mut unix) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next();
        match flag.as_str() {
            "--http" => http = value,
            "--tcp" => tcp = value,
            "--unix" => unix = value,
            other => panic!("unknown flag {other}"),
        }
    }
    jsonrpc_bench::server_runtime().block_on(async {
        let builder = || Server::builder().methods(jsonrpc_bench::methods());
        let http = builder()
            .bind(http.unwrap_or_else(|| "127.0.0.1:5100".into()))
            .await?;
        let tcp = builder()
            .bind_tcp(
                tcp.unwrap_or_else(|| "127.0.0.1:5101".into()),
                Framing::Lines,
            )
            .await?;
        let unix = builder()
            .bind_unix(
                unix.unwrap_or_else(|| "/tmp/jsonrpc-bench.sock".into()),
                Framing::Lines,
            )
            .await?;
        println!("ready");
        let (a, b, c) = tokio::join!(http.run(), tcp.run(), unix.run());
        a.and(b).and(c)
    })
}
