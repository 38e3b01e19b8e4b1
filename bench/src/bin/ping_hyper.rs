//! The limit: a bare hyper 1 HTTP/1.1 server that reads each request's body and answers fixed
//! bytes, with no JSON work at all: `{"jsonrpc":"2.0","result":"pong","id":1}`, or, for a body
//! that starts with `[`, the fixed answer to a batch of 100 pings (ids 1..=100), so that the
//! batch run moves the same bytes as the JSON-RPC servers. `cargo run --release --bin ping_hyper
//! -- 127.0.0.1:5002`. Stops on Ctrl-C (SIGINT).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const PONG: &[u8] = br#"{"jsonrpc":"2.0","result":"pong","id":1}"#;

fn main() -> std::io::Result<()> {
    let addr = jsonrpc_bench::address();
    let batch = Bytes::from(jsonrpc_bench::bodies::pong_batch(100));
    jsonrpc_bench::server_runtime().block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        eprintln!("ping_hyper listening on {}", listener.local_addr()?);
        let serve = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let batch = batch.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let batch = batch.clone();
                    async move {
                        let body = request.into_body().collect().await;
                        let is_batch = body.is_ok_and(|body| body.to_bytes().starts_with(b"["));
                        let answer = if is_batch {
                            batch
                        } else {
                            Bytes::from_static(PONG)
                        };
                        let mut response = Response::new(Full::new(answer));
                        response
                            .headers_mut()
                            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            () = serve => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
